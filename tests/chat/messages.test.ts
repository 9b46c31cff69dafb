// cloneMessage: a deep copy equal to structuredClone's, fast for plain data and faithful otherwise.
import { describe, expect, it } from 'vitest';
import { cloneMessage, type ChatMessage } from '../../src/chat/messages.ts';

describe('cloneMessage', () => {
  const message: ChatMessage = {
    role: 'assistant',
    content: 'x',
    reasoningContent: 'why',
    toolCalls: [{ id: 'c1', name: 'f', arguments: { a: [1, 2.5, { b: null, c: 'd' }], e: true, f: -0 } }],
  };

  it('equals structuredClone and shares nothing with the original', () => {
    const copy = cloneMessage(message);
    expect(copy).toStrictEqual(structuredClone(message));
    expect(Object.is((copy.toolCalls![0]!.arguments as { f: number }).f, -0)).toBe(true);
    (copy.toolCalls![0]!.arguments.a as unknown[]).push(3);
    copy.toolCalls![0]!.name = 'g';
    expect(message.toolCalls![0]!.arguments.a).toHaveLength(3);
    expect(message.toolCalls![0]!.name).toBe('f');
  });

  it('copies non-plain values (a Date, a Map, holes, a cycle) as structuredClone does', () => {
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic.self = cyclic;
    // eslint-disable-next-line no-sparse-arrays
    const args = { when: new Date(0), map: new Map([[1, 'a']]), holes: [1, , 3], cyclic };
    const original: ChatMessage = { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'f', arguments: args }] };
    const copy = cloneMessage(original);
    const copied = copy.toolCalls![0]!.arguments as typeof args;
    expect(copied.when).toBeInstanceOf(Date);
    expect(copied.when).not.toBe(args.when);
    expect(copied.map.get(1)).toBe('a');
    expect(1 in copied.holes).toBe(false);
    expect(copied.holes).toHaveLength(3);
    expect((copied.cyclic as Record<string, unknown>).self).toBe(copied.cyclic);
    expect(copied.cyclic).not.toBe(cyclic);
  });
});
