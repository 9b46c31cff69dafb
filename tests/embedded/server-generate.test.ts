// /generate on the embedded llama.cpp server, over real HTTP, through the project's SglangClient
// and raw fetch: SGLang's JSON shapes, every finish reason, batches, n, streams and errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/engine/embedded/index.ts';
import { asResponseList, SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { GenerateResponse } from '../../src/protocol/sglang-types.ts';
import { bytesModel } from './tiny-models.ts';

let server: EmbeddedServer;
let client: SglangClient;
const EOS = 258; // <|im_end|> in the byte vocabulary

beforeAll(async () => {
  server = await startEmbeddedServer({ modelPath: (await bytesModel()).gguf, sequences: 3, contextSize: 128 });
  client = new SglangClient(server.url, { retries: 0 });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

const one = async (request: Parameters<SglangClient['generate']>[0]): Promise<GenerateResponse> => (await client.generate(request)) as GenerateResponse;
const post = async (path: string, body: unknown): Promise<{ status: number; text: string; type: string | null }> => {
  const res = await fetch(server.url + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
};

describe('embedded /generate: responses', () => {
  it('answers a text prompt with SGLang meta_info and [logprob, id, null] tuples', async () => {
    const out = await one({ text: 'hello', sampling_params: { max_new_tokens: 6, ignore_eos: true }, return_logprob: true, rid: 'r-shape' });
    expect(out.output_ids).toHaveLength(6);
    expect(out.meta_info).toMatchObject({
      id: 'r-shape', finish_reason: { type: 'length', length: 6 }, prompt_tokens: 5, completion_tokens: 6, weight_version: 'default',
      input_token_logprobs: [], output_token_logprobs_length: 6,
    });
    const tuples = out.meta_info.output_token_logprobs!;
    expect(tuples.map((t) => t[1])).toEqual(out.output_ids);
    for (const [logprob, , text] of tuples) {
      expect(logprob).toBeLessThanOrEqual(0);
      expect(text).toBeNull();
    }
  });

  it('return_text_in_logprobs fills the text slot; no return_logprob means no logprob keys', async () => {
    const withText = await one({ input_ids: [104, 105], sampling_params: { max_new_tokens: 2, temperature: 0 }, return_logprob: true, return_text_in_logprobs: true });
    expect(withText.meta_info.output_token_logprobs!.every((t) => typeof t[2] === 'string')).toBe(true);
    const without = await one({ input_ids: [104, 105], sampling_params: { max_new_tokens: 2 } });
    expect(without.meta_info.output_token_logprobs).toBeUndefined();
  });

  it('top_logprobs_num lists the most probable alternatives per position, best first', async () => {
    const out = await one({ input_ids: [104, 105], sampling_params: { max_new_tokens: 4, temperature: 0, ignore_eos: true }, return_logprob: true, top_logprobs_num: 3 });
    const rows = out.meta_info.output_top_logprobs as Array<Array<[number, number, null]>>;
    expect(out.meta_info.input_top_logprobs).toEqual([]);
    expect(rows).toHaveLength(4);
    rows.forEach((row, k) => {
      expect(row).toHaveLength(3);
      expect(row[0]![0]).toBeGreaterThanOrEqual(row[1]![0]);
      expect(row[1]![0]).toBeGreaterThanOrEqual(row[2]![0]);
      // Greedy picks the most probable token, with the same log-prob in both lists.
      expect(row[0]![1]).toBe(out.output_ids[k]);
      expect(row[0]![0]).toBeCloseTo(out.meta_info.output_token_logprobs![k]![0]!, 6);
    });
  });

  it('logprob_start_len reports the prompt from that position, first entry null, even when cached', async () => {
    const request = { input_ids: [72, 105, 32, 116, 104, 101, 114, 101], sampling_params: { max_new_tokens: 2 }, return_logprob: true, logprob_start_len: 3, top_logprobs_num: 2 };
    for (const round of [0, 1]) {
      const out = await one(request);
      const input = out.meta_info.input_token_logprobs!;
      expect(input.map((t) => t[1])).toEqual(request.input_ids.slice(3));
      expect(input[0]![0]).toBeNull();
      expect(input.slice(1).every((t) => typeof t[0] === 'number' && t[0] < 0)).toBe(true);
      const top = out.meta_info.input_top_logprobs!;
      expect(top).toHaveLength(5);
      expect(top[0]).toBeNull();
      expect(top[1]).toHaveLength(2);
      if (round === 1) expect(out.meta_info.cached_tokens).toBeLessThanOrEqual(3);
    }
    const tooFar = await post('/generate', { ...request, logprob_start_len: 8 });
    expect(tooFar.status).toBe(400);
    expect(JSON.parse(tooFar.text).error.message).toBe('logprob_start_len (8) is greater than or equal to the input length (8).');
  });

  it('token_ids_logprob reports the asked ids at every position, agreeing with the sampled log-prob', async () => {
    const greedy = await one({ input_ids: [104, 105, 106], sampling_params: { max_new_tokens: 3, temperature: 0, ignore_eos: true } });
    const wanted = [greedy.output_ids[0]!, 32, 9999];
    const out = await one({ input_ids: [104, 105, 106], sampling_params: { max_new_tokens: 3, temperature: 0, ignore_eos: true }, return_logprob: true, token_ids_logprob: wanted, logprob_start_len: 1 });
    const rows = out.meta_info.output_token_ids_logprobs as Array<Array<[number | null, number, null]>>;
    expect(rows).toHaveLength(3);
    expect(rows[0]!.map((t) => t[1])).toEqual(wanted);
    expect(rows[0]![0]![0]).toBeCloseTo(out.meta_info.output_token_logprobs![0]![0]!, 6);
    expect(rows[0]![2]![0]).toBeNull(); // outside the vocabulary: -inf, sent as null like orjson
    const inputRows = out.meta_info.input_token_ids_logprobs as Array<unknown[] | null>;
    expect(inputRows).toHaveLength(2);
    expect(inputRows[0]).toBeNull();
    expect(inputRows[1]).toHaveLength(3);
  });

  it('EOS finishes with {stop, matched: id}: the id stays in output_ids, not in text', async () => {
    const out = await one({ input_ids: [104, 105], sampling_params: { max_new_tokens: 10, logit_bias: { [EOS]: 100 } } });
    expect(out.output_ids).toEqual([EOS]);
    expect(out.meta_info.finish_reason).toEqual({ type: 'stop', matched: EOS });
    expect(out.text).toBe('');
    const ignored = await one({ input_ids: [104, 105], sampling_params: { max_new_tokens: 3, ignore_eos: true, logit_bias: { [EOS]: 100 } } });
    expect(ignored.output_ids).toEqual([EOS, EOS, EOS]);
    expect(ignored.meta_info.finish_reason).toEqual({ type: 'length', length: 3 });
  });

  it('stop_token_ids and stop strings end greedy output exactly where they occur', async () => {
    const base = await one({ input_ids: [84, 104, 101], sampling_params: { max_new_tokens: 24, temperature: 0, ignore_eos: true } });
    const ids = base.output_ids;
    const byId = await one({ input_ids: [84, 104, 101], sampling_params: { max_new_tokens: 24, temperature: 0, stop_token_ids: [ids[3]!] } });
    expect(byId.output_ids).toEqual(ids.slice(0, ids.indexOf(ids[3]!) + 1));
    expect(byId.meta_info.finish_reason).toEqual({ type: 'stop', matched: ids[3] });
    // A printable byte that first appears after position 0 makes a one-character stop string.
    const k = ids.findIndex((id, i) => i > 0 && id > 32 && id < 127 && !ids.slice(0, i).includes(id));
    expect(k).toBeGreaterThan(0);
    const stop = String.fromCharCode(ids[k]!);
    const trimmed = await one({ input_ids: [84, 104, 101], sampling_params: { max_new_tokens: 24, temperature: 0, stop } });
    expect(trimmed.output_ids).toEqual(ids.slice(0, k + 1));
    expect(trimmed.meta_info.finish_reason).toEqual({ type: 'stop', matched: stop });
    expect(trimmed.text.includes(stop)).toBe(false);
    const kept = await one({ input_ids: [84, 104, 101], sampling_params: { max_new_tokens: 24, temperature: 0, stop: [stop], no_stop_trim: true } });
    expect(kept.text.endsWith(stop)).toBe(true);
  });

  it('batches answer arrays prompt-major with rid_i; n > 1 gives distinct samples with fresh rids', async () => {
    const batch = asResponseList(await client.generate({ input_ids: [[104], [105, 106]], rid: 'b', sampling_params: { max_new_tokens: 2 } }));
    expect(batch.map((r) => r.meta_info.id)).toEqual(['b_0', 'b_1']);
    expect(batch.map((r) => r.meta_info.prompt_tokens)).toEqual([1, 2]);
    const samples = asResponseList(await client.generate({ input_ids: [104, 105], rid: 'nn', sampling_params: { max_new_tokens: 12, n: 3, sampling_seed: 9, ignore_eos: true } }));
    expect(samples).toHaveLength(3);
    expect(samples.some((s) => s.meta_info.id.startsWith('nn'))).toBe(false);
    expect(new Set(samples.map((s) => s.output_ids.join(','))).size).toBe(3);
  });

  it('max_new_tokens 0 returns no tokens; null fills the context', async () => {
    const none = await one({ input_ids: [104], sampling_params: { max_new_tokens: 0 } });
    expect(none.output_ids).toEqual([]);
    expect(none.meta_info.finish_reason).toEqual({ type: 'length', length: 0 });
    const full = await one({ input_ids: [104, 105], sampling_params: { max_new_tokens: null, ignore_eos: true, temperature: 0 } });
    expect(full.output_ids.length + 2).toBe(server.engine.contextSize);
  });
});

describe('embedded /generate: streaming', () => {
  it('streams cumulative chunks that end with the finish chunk and [DONE]', async () => {
    const res = await post('/generate', { input_ids: [104, 105], stream: true, return_logprob: true, sampling_params: { max_new_tokens: 4, ignore_eos: true } });
    expect(res.type).toBe('text/event-stream');
    const events = res.text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as GenerateResponse);
    const last = chunks.at(-1)!;
    expect(last.meta_info.finish_reason).toEqual({ type: 'length', length: 4 });
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.meta_info.finish_reason).toBeNull();
      expect(last.output_ids.slice(0, chunk.output_ids.length)).toEqual(chunk.output_ids);
    }
    expect(chunks.map((c) => c.output_ids.length)).toEqual([1, 2, 3, 4, 4]);
  });

  it('the client rebuilds the same tokens from the deltas; batches carry index', async () => {
    const deltas: number[] = [];
    let final: GenerateResponse | undefined;
    for await (const chunk of client.generateStream({ input_ids: [104, 105], sampling_params: { max_new_tokens: 5, temperature: 0, ignore_eos: true } })) {
      deltas.push(...chunk.delta_output_ids);
      final = chunk;
    }
    expect(deltas).toEqual(final!.output_ids);
    const indexes = new Set<number>();
    for await (const chunk of client.generateStream({ input_ids: [[104], [105]], sampling_params: { max_new_tokens: 2 } })) indexes.add(chunk.index!);
    expect([...indexes].sort()).toEqual([0, 1]);
  });
});

describe('embedded /generate: errors as SGLang sends them', () => {
  it('over the context length: 400 with the upstream message; in a stream, an error event after the 200', async () => {
    const res = await post('/generate', { input_ids: [104, 105], sampling_params: { max_new_tokens: 200 } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.message).toMatch(/^Requested token count exceeds the model's maximum context length of 128 tokens\. You requested a total of 202 tokens: 2 tokens/);
    const long = await post('/generate', { input_ids: Array.from({ length: 130 }, () => 104), sampling_params: { max_new_tokens: null } });
    expect(JSON.parse(long.text).error.message).toBe("The input (130 tokens) is longer than the model's context length (128 tokens).");
    const streamed = await post('/generate', { input_ids: [104], stream: true, sampling_params: { max_new_tokens: 500 } });
    expect(streamed.status).toBe(200);
    const [event, done] = streamed.text.split('\n\n');
    expect(JSON.parse(event!.slice(6))).toMatchObject({ error: { code: 400, type: 'invalid_request_error' } });
    expect(done).toBe('data: [DONE]');
  });

  it('unknown sampling key → 500 plain text; range error → 400 envelope; bad JSON → 400', async () => {
    expect(await post('/generate', { input_ids: [1], sampling_params: { max_tokens: 3 } })).toMatchObject({ status: 500, text: 'Internal Server Error' });
    const range = await post('/generate', { input_ids: [1], sampling_params: { top_p: 0 } });
    expect(range.status).toBe(400);
    expect(JSON.parse(range.text)).toEqual({ error: { message: 'top_p must be in (0, 1], got 0.0.' } });
    expect((await post('/generate', '{not json')).status).toBe(400);
  });

  it('refuses what llama.cpp cannot honour, naming it, instead of ignoring it', async () => {
    const outOfVocab = await post('/generate', { input_ids: [104, 9999] });
    expect(outOfVocab.status).toBe(400);
    expect(JSON.parse(outOfVocab.text).error.message).toBe('Token id 9999 in the input is outside the vocabulary (size 259).');
    const regex = await post('/generate', { input_ids: [104], sampling_params: { regex: 'a+' } });
    expect(JSON.parse(regex.text).error.message).toBe('sampling_params.regex is not supported by the embedded llama.cpp engine.');
  });

  it('unknown paths 404 and wrong methods 405 with FastAPI bodies', async () => {
    const missing = await fetch(`${server.url}/nope`);
    expect([missing.status, await missing.json()]).toEqual([404, { detail: 'Not Found' }]);
    const wrong = await fetch(`${server.url}/generate`);
    expect([wrong.status, await wrong.json()]).toEqual([405, { detail: 'Method Not Allowed' }]);
  });
});
