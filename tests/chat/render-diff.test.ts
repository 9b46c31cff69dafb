import { describe, expect, it } from 'vitest';
import { checkPrefix, DEFAULT_IGNORABLE, normalizeRender, originalOffset } from '../../src/chat/render-diff.ts';
import { contentRegions, tokenizeLabelled } from '../../src/chat/tail-tokens.ts';
import type { Tokenizer } from '../../src/chat/tokenizer.ts';

describe('checkPrefix', () => {
  it('accepts a plain extension and reports where the prefix ends', () => {
    expect(checkPrefix('abc', 'abcdef', DEFAULT_IGNORABLE)).toEqual({ ok: true, end: 3 });
  });

  it('ignores an empty think block that the longer render dropped, ending after the kept text', () => {
    const held = 'A<think>\n\n</think>\n\nX<end>';
    const now = 'AX<end>B<think>\n\n</think>\n\nC';
    expect(checkPrefix(held, now, DEFAULT_IGNORABLE)).toEqual({ ok: true, end: 'AX<end>'.length });
  });

  it('does not ignore a think block with content, and describes the first difference', () => {
    const result = checkPrefix('A<think>\nreal\n</think>\n\nX', 'AX and more', DEFAULT_IGNORABLE);
    expect(result.ok).toBe(false);
    expect(result.difference).toBe('at character 1: held "A<think>\\nreal\\n</think>\\n\\nX", template now renders "AX and more"');
  });

  it('finds differences far into long renders (normalizing only near the difference)', () => {
    const common = 'x'.repeat(100_000);
    expect(checkPrefix(`${common}<think> </think>Y`, `${common}Y!`, DEFAULT_IGNORABLE)).toEqual({ ok: true, end: 100_001 });
    const bad = checkPrefix(`${common}Y`, `${common}Z`, DEFAULT_IGNORABLE);
    expect(bad.difference).toMatch(/^at character 100000: /);
  });

  it('with no ignorable patterns, any drop is a difference', () => {
    expect(checkPrefix('A<think></think>B', 'AB', []).ok).toBe(false);
  });
});

describe('normalizeRender', () => {
  it('keeps the original index of each kept character', () => {
    const n = normalizeRender('a<think></think>b', DEFAULT_IGNORABLE);
    expect(n).toEqual({ text: 'ab', origin: [0, 16] });
    expect(originalOffset(n, 1)).toBe(1);
    expect(originalOffset(n, 0)).toBe(0);
  });
  it('accepts patterns without the g flag', () => {
    expect(normalizeRender('a--b--c', [/--/]).text).toBe('abc');
  });
});

describe('tokenizeLabelled', () => {
  // A character tokenizer whose only special token is <S>: enough to pin the labelling logic.
  const chars: Tokenizer = {
    encode: (text) => text.split(/(<S>)/).flatMap((part) => (part === '<S>' ? [1000] : [...part].map((c) => c.charCodeAt(0)))),
    decode: (ids) => ids.map((id) => (id === 1000 ? '<S>' : String.fromCharCode(id))).join(''),
    tokenToId: (token) => (token === '<S>' ? 1000 : undefined),
    eosTokenIds: [1000],
    vocabSize: 1001,
    config: {},
    specialTokens: ['<S>'],
  };

  it('labels the pieces between special tokens by the region they hold', () => {
    const text = '\n<S>tool: out<S>\n<S>next';
    const regions = contentRegions(text, [{ content: 'out', kind: 'tool', toolName: 'ls' }]);
    const { tokens, spans } = tokenizeLabelled(chars, text, { regions, defaultKind: 'scaffold', offset: 10, turn: 2 });
    expect(tokens).toEqual(chars.encode(text));
    expect(spans).toEqual([
      { kind: 'scaffold', start: 10, end: 12, turn: 2 },
      { kind: 'tool', start: 12, end: 21, turn: 2, toolName: 'ls' },
      { kind: 'scaffold', start: 21, end: 28, turn: 2 },
    ]);
  });

  it('falls back to one span of the default kind without special tokens', () => {
    const { specialTokens: _unused, ...plain } = chars;
    const { spans } = tokenizeLabelled(plain, 'abc', { regions: [{ kind: 'user', start: 0, end: 3 }], defaultKind: 'scaffold', offset: 0, turn: 0 });
    expect(spans).toEqual([{ kind: 'scaffold', start: 0, end: 3, turn: 0 }]);
  });

  it('gives empty text no tokens and no spans', () => {
    expect(tokenizeLabelled(chars, '', { regions: [], defaultKind: 'prompt', offset: 0, turn: 0 })).toEqual({ tokens: [], spans: [] });
  });
});

describe('contentRegions', () => {
  it('finds contents in order, skipping empty and transformed ones', () => {
    const text = '<a>hello</a><b>world</b><c>hello</c>';
    expect(
      contentRegions(text, [
        { content: 'hello', kind: 'tool' },
        { content: '', kind: 'user' },
        { content: 'missing', kind: 'user' },
        { content: 'hello', kind: 'user' },
      ]),
    ).toEqual([
      { kind: 'tool', start: 3, end: 8 },
      { kind: 'user', start: 27, end: 32 },
    ]);
  });
});
