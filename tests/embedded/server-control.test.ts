// The RL control plane of the embedded server, over HTTP: aborts (running, queued, disconnect),
// sessions with KV reuse, pause/continue, flush, and weight updates with a version bump.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/engine/embedded/index.ts';
import { EngineHttpError } from '../../src/engine/client/engine-errors.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { GenerateRequest, GenerateResponse, StreamChunk } from '../../src/protocol/sglang-types.ts';
import { bytesModel } from './tiny-models.ts';

let server: EmbeddedServer;
let client: SglangClient;
let otherGguf: string;

beforeAll(async () => {
  const [model, other] = await Promise.all([bytesModel(1), bytesModel(2)]);
  otherGguf = other.gguf;
  server = await startEmbeddedServer({ modelPath: model.gguf, sequences: 2, contextSize: 4096 });
  client = new SglangClient(server.url, { retries: 0 });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

const one = async (request: GenerateRequest): Promise<GenerateResponse> => (await client.generate(request)) as GenerateResponse;
const LONG = { max_new_tokens: 3000, ignore_eos: true };

/** Start a long streaming generation and resolve once its first token has arrived. */
async function startLong(rid: string, signal?: AbortSignal): Promise<{ done: Promise<StreamChunk | undefined> }> {
  const stream = client.generateStream({ input_ids: [104, 105], rid, sampling_params: LONG }, signal ? { signal } : {});
  const first = await stream.next();
  expect(first.done).toBe(false);
  const done = (async () => {
    let last = first.value as StreamChunk | undefined;
    try {
      for await (const chunk of stream) last = chunk;
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
    return last;
  })();
  return { done };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await sleep(10);
  expect(await check()).toBe(true);
}
const load = async (): Promise<{ running: number; queued: number }> => (await client.serverInfo()).load as { running: number; queued: number };

describe('embedded control: abort', () => {
  it('aborts a running request by rid prefix, keeping its partial output', async () => {
    const { done } = await startLong('abort-me-1');
    await client.abortRequest({ rid: 'abort-me' });
    const last = await done;
    expect(last!.meta_info.finish_reason).toEqual({ type: 'abort', message: 'Aborted', status_code: null, err_type: null });
    expect(last!.output_ids.length).toBeGreaterThan(0);
    expect(last!.output_ids.length).toBeLessThan(3000);
  });

  it('queues beyond capacity; a queued abort says so and the queue drains on abort_all', async () => {
    const a = await startLong('busy-a');
    const b = await startLong('busy-b');
    const queued = one({ input_ids: [104], rid: 'waiting-c', sampling_params: { max_new_tokens: 4 } });
    await until(async () => (await load()).queued === 1);
    expect(await load()).toEqual({ running: 2, queued: 1 });
    await client.abortRequest({ rid: 'waiting-c' });
    const aborted = await queued;
    expect(aborted.meta_info.finish_reason).toEqual({ type: 'abort', message: 'Abort in waiting queue' });
    expect(aborted.output_ids).toEqual([]);
    await client.abortRequest({ abortAll: true });
    expect((await a.done)!.meta_info.finish_reason!.type).toBe('abort');
    expect((await b.done)!.meta_info.finish_reason!.type).toBe('abort');
    expect(await load()).toEqual({ running: 0, queued: 0 });
  });

  it('a client disconnect aborts the request and frees its sequence', async () => {
    const controller = new AbortController();
    const { done } = await startLong('disconnect-me', controller.signal);
    expect((await load()).running).toBe(1);
    controller.abort();
    await done;
    await until(async () => (await load()).running === 0);
  });
});

describe('embedded control: sessions', () => {
  it('continues from a node with only the new tokens, reusing the cached KV', async () => {
    const session = await client.openSession({ capacityOfStrLen: 1000 });
    expect(session).toMatch(/^[0-9a-f]{32}$/);
    const turn1 = await one({ input_ids: [104, 105, 106], rid: 't1', session_params: { id: session, rid: null }, sampling_params: { max_new_tokens: 5, ignore_eos: true } });
    expect(turn1.output_ids).toHaveLength(5);
    const turn2 = await one({ input_ids: [10, 11], rid: 't2', session_params: { id: session, rid: 't1' }, sampling_params: { max_new_tokens: 3, ignore_eos: true } });
    expect(turn2.meta_info.prompt_tokens).toBe(3 + 5 + 2);
    // Everything but the last sampled token of turn 1 was already in the KV cache.
    expect(turn2.meta_info.cached_tokens).toBe(3 + 5 - 1);
    const spliced = await one({ input_ids: [12], rid: 't3', session_params: { id: session, rid: 't1', offset: 2 }, sampling_params: { max_new_tokens: 1 } });
    expect(spliced.meta_info.prompt_tokens).toBe(3);
    const dropped = await one({ input_ids: [12], rid: 't4', session_params: { id: session, rid: 't1', drop_previous_output: true }, sampling_params: { max_new_tokens: 1 } });
    expect(dropped.meta_info.prompt_tokens).toBe(4);
    const unknownRid = await client.generate({ input_ids: [1], session_params: { id: session, rid: 'nope' } }).catch((e: unknown) => e);
    expect((unknownRid as EngineHttpError).status).toBe(400);
    expect((unknownRid as EngineHttpError).serverMessage).toBe('Invalid request session id');
    const duplicate = await client.openSession({ capacityOfStrLen: 10, sessionId: session }).catch((e: unknown) => e);
    expect((duplicate as EngineHttpError).status).toBe(400);
    await client.closeSession(session);
    const closed = await client.generate({ input_ids: [1], session_params: { id: session, rid: 't1' } }).catch((e: unknown) => e);
    expect((closed as EngineHttpError).serverMessage).toBe(`Invalid request: session id ${session} does not exist`);
  });
});

describe('embedded control: pause, continue, flush', () => {
  it('in_place pause holds new requests until continue, without error', async () => {
    await client.pauseGeneration('in_place');
    const held = one({ input_ids: [104], sampling_params: { max_new_tokens: 3, ignore_eos: true } });
    expect(await Promise.race([held.then(() => 'finished'), sleep(300).then(() => 'held')])).toBe('held');
    expect(await client.continueGeneration()).toEqual({ message: 'Generation continued successfully.', status: 'ok' });
    expect((await held).output_ids).toHaveLength(3);
  });

  it('abort-mode pause ends running requests before it returns', async () => {
    const { done } = await startLong('paused-out');
    expect(await client.pauseGeneration('abort')).toEqual({ message: 'Generation paused successfully.', status: 'ok' });
    expect(await load()).toEqual({ running: 0, queued: 0 });
    expect((await done)!.meta_info.finish_reason!.type).toBe('abort');
    await client.continueGeneration();
  });

  it('flush_cache is refused while a request runs and succeeds when idle', async () => {
    const { done } = await startLong('flush-blocker');
    const refused = await client.flushCache().catch((e: unknown) => e);
    expect((refused as EngineHttpError).status).toBe(400);
    await client.abortRequest({ abortAll: true });
    await done;
    expect(await client.flushCache()).toMatch(/^Cache flushed\./);
    const after = await one({ input_ids: [104, 105, 106], sampling_params: { max_new_tokens: 1 } });
    expect(after.meta_info.cached_tokens).toBe(0);
  });
});

describe('embedded control: weights and health', () => {
  it('update_weights_from_disk lets in-flight requests finish, swaps, and bumps weight_version', async () => {
    const probe = { input_ids: [84, 104, 101], sampling_params: { max_new_tokens: 16, temperature: 0, ignore_eos: true } };
    const before = await one(probe);
    const inFlight = one({ input_ids: [104], sampling_params: { max_new_tokens: 400, ignore_eos: true } });
    await until(async () => (await load()).running === 1);
    const result = await client.updateWeightsFromDisk({ modelPath: otherGguf });
    expect(result).toMatchObject({ success: true, message: expect.stringContaining('Weight version updated to 1.') });
    const finished = await inFlight;
    expect(finished.meta_info.finish_reason).toEqual({ type: 'length', length: 400 });
    expect(finished.meta_info.weight_version).toBe('default');
    expect((await client.modelInfo()).weight_version).toBe('1');
    const after = await one(probe);
    expect(after.meta_info.weight_version).toBe('1');
    expect(after.output_ids).not.toEqual(before.output_ids);
    await client.updateWeightsFromDisk({ modelPath: otherGguf, weightVersion: 'v7' });
    expect((await client.modelInfo()).weight_version).toBe('v7');
  });

  it('a request that arrives while an update drains waits for the swap instead of deadlocking it', async () => {
    const inFlight = one({ input_ids: [104], sampling_params: { max_new_tokens: 600, ignore_eos: true } });
    await until(async () => (await load()).running === 1);
    const update = client.updateWeightsFromDisk({ modelPath: otherGguf, weightVersion: 'drain-test' });
    await until(async () => server.engine.isSwapping);
    const late = one({ input_ids: [105], sampling_params: { max_new_tokens: 2 } });
    expect((await update).success).toBe(true);
    expect((await inFlight).meta_info.weight_version).not.toBe('drain-test');
    expect((await late).meta_info).toMatchObject({ weight_version: 'drain-test', finish_reason: { type: 'length', length: 2 } });
  });

  it('requests held by a pause survive an update and run on the new weights after continue', async () => {
    await client.pauseGeneration('abort');
    const held = one({ input_ids: [104], sampling_params: { max_new_tokens: 3, ignore_eos: true } });
    await client.updateWeightsFromDisk({ modelPath: otherGguf, weightVersion: 'held-test' });
    await client.continueGeneration();
    expect((await held).meta_info).toMatchObject({ weight_version: 'held-test', finish_reason: { type: 'length', length: 3 } });
    await client.updateWeightsFromDisk({ modelPath: otherGguf, weightVersion: 'v7' });
  });

  it('a failed update answers 400 success:false and keeps serving the old weights', async () => {
    const error = await client.updateWeightsFromDisk({ modelPath: '/nonexistent/model.gguf' }).catch((e: unknown) => e);
    expect((error as EngineHttpError).status).toBe(400);
    expect(JSON.parse((error as EngineHttpError).body)).toMatchObject({ success: false, message: expect.stringContaining("'/nonexistent/model.gguf' does not exist") });
    expect((await client.modelInfo()).weight_version).toBe('v7');
    expect((await one({ input_ids: [104], sampling_params: { max_new_tokens: 2 } })).output_ids).toHaveLength(2);
  });

  it('serves health, health_generate and model_info', async () => {
    expect(await client.health()).toBe(true);
    expect(await client.healthGenerate()).toBe(true);
    expect(await client.modelInfo()).toMatchObject({ model_path: otherGguf, is_generation: true, model_type: 'qwen3' });
  });
});
