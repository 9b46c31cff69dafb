/**
 * The trainer worker end to end over its RPC: a real Python worker (tiny Qwen3), batches made by
 * the real Data Buffer, GGUF exports loaded by the embedded engine through WeightSync.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { buildTrainerBatch } from '../../src/buffer/pack.ts';
import { encodeTrainerBatch } from '../../src/buffer/wire.ts';
import { startEmbeddedServer } from '../../src/engine/embedded/index.ts';
import { SglangClient } from '../../src/engine/sglang-client.ts';
import { WeightSync } from '../../src/engine/weight-sync.ts';
import { startTrainerWorker, type TrainerWorker } from '../../src/driver/worker-process.ts';
import type { SampleInput } from '../../src/protocol/sample.ts';

const bytes = (text: string) => [...Buffer.from(text, 'utf8')];
const dir = mkdtempSync(path.join(tmpdir(), 'physarum-worker-'));
let worker: TrainerWorker;
let stderr = '';

function sample(index: number, groupIndex: number, prompt: string, response: string, reward: number, logProbs: number[]): SampleInput {
  const p = bytes(prompt);
  const r = bytes(response);
  return {
    schemaVersion: 1, index, groupIndex, rolloutId: `r${index}`, prompt, tokens: [...p, ...r], responseLength: r.length, response,
    lossMask: r.map(() => 1), rolloutLogProbs: logProbs, reward, status: 'completed', weightVersions: ['0'],
    spans: [{ kind: 'prompt', start: 0, end: p.length, turn: 0 }, { kind: 'sampled', start: p.length, end: p.length + r.length, turn: 0 }],
    turns: 1,
  };
}
// Two groups; in each, one answer is rewarded and one is not.
const texts: Array<[number, string, string, number]> = [
  [0, '12+34=', '46', 1], [0, '12+34=', '91', 0], [1, '7+8=', '15', 1], [1, '7+8=', '51', 0],
];

beforeAll(async () => {
  worker = await startTrainerWorker({ stderr: (chunk) => (stderr += chunk) });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
});

describe('trainer worker over its RPC', () => {
  it('refuses verbs before init and bad init fields with the contract codes', async () => {
    await expect(worker.client.stats()).resolves.toMatchObject({ initialized: false, step: null });
    await expect(worker.client.exportWeights({ format: 'gguf', dir, version: 0 })).rejects.toMatchObject({ code: 'PHYSARUM_TRAINER_NOT_INITIALIZED', verb: 'export_weights' });
    await expect(worker.client.init({ backend: 'torch_hf', model: { path: path.join(dir, 'nope') }, seed: 0 })).rejects.toMatchObject({ code: 'PHYSARUM_TRAINER_MODEL_NOT_FOUND', rank: 0 });
  });

  it('inits a tiny model, computes log-probs, trains on a Data Buffer batch, and the engine serves the new weights', async () => {
    const info = await worker.client.init({
      backend: 'torch_hf', model: { tiny: { layers: 1, hidden: 32, seed: 4 } }, device: 'cpu', seed: 0,
      optimizer: { lr: 2e-2 }, loss: { policyLoss: 'ppo', epsClip: 0.5 },
    });
    expect(info).toMatchObject({ backend: 'torch_hf', device: 'cpu', dtype: 'float32', modelType: 'qwen3', vocabSize: 259, worldSize: 1 });

    // Rollout log-probs: what the current weights give (as an engine would report them).
    const draft = texts.map(([g, p, r, reward], i) => sample(i, g, p, r, reward, bytes(r).map(() => -1)));
    const probeFrame = encodeTrainerBatch(buildTrainerBatch(draft.map((s) => ({ sample: s as never, advantage: 0 })), { maxTokensPerGpu: 64, dpSize: 1 }));
    const initial = await worker.client.computeLogprobs(probeFrame);
    expect(initial.logProbs).toHaveLength(draft.reduce((n, s) => n + s.responseLength, 0));
    expect([...initial.logProbs].every((x) => x < 0 && Number.isFinite(x))).toBe(true);
    const byId = new Map<string, number[]>();
    let offset = 0;
    initial.rolloutIds.forEach((id, i) => {
      byId.set(id, [...initial.logProbs.subarray(offset, offset + initial.responseLengths[i]!)]);
      offset += initial.responseLengths[i]!;
    });

    const buffer = DataBuffer.open(path.join(dir, 'buffer.sqlite'));
    try {
      for (const g of [0, 1]) {
        await buffer.ingest(texts.flatMap(([gi, p, r, reward], i) => (gi === g ? [sample(i, g, p, r, reward, byId.get(`r${i}`)!)] : [])));
      }
      const taken = await buffer.takeBatch({ step: 0, groups: 2 });
      expect(taken.samples).toHaveLength(4);
      const frame = encodeTrainerBatch(buildTrainerBatch(taken.samples, { maxTokensPerGpu: 16, dpSize: 1 }));

      const engineBefore = await worker.client.exportWeights({ format: 'gguf', dir, version: 0 });
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        const result = await worker.client.trainStep(frame, { step });
        expect(Object.values(result.metrics).every(Number.isFinite)).toBe(true);
        losses.push(result.metrics.loss);
      }
      expect(losses[2]).toBeLessThan(losses[0]!);
      const exported = await worker.client.exportWeights({ format: 'gguf', dir, version: 1 });
      expect(exported.path).toBe(path.join(dir, 'weights-1.gguf'));

      // The embedded engine: the trained tokens' log-probs before and after the update.
      const server = await startEmbeddedServer({ modelPath: engineBefore.path, sequences: 1, contextSize: 128 });
      const client = new SglangClient(server.url);
      try {
        const scored = async () =>
          Promise.all(texts.map(async ([, p, r]) => {
            const res = await client.generate({ input_ids: [...bytes(p), ...bytes(r)], sampling_params: { max_new_tokens: 1, temperature: 1 }, return_logprob: true, logprob_start_len: 0 });
            const one = Array.isArray(res) ? res[0]! : res;
            const input = one.meta_info.input_token_logprobs!;
            return input.slice(bytes(p).length).reduce((sum, t) => sum + (t[0] ?? 0), 0);
          }));
        const before = await scored();
        // The exported initial weights give the worker's own log-probs (the GGUF is right).
        texts.forEach((_, i) => expect(before[i]).toBeCloseTo(byId.get(`r${i}`)!.reduce((a, b) => a + b, 0), 2));
        const report = await new WeightSync({ engines: [server.url] }).updateFromDisk({ modelPath: exported.path });
        expect(report.failed).toEqual([]);
        const after = await scored();
        // In each group the rewarded answer gained on the unrewarded one, and the advantage-weighted
        // change (the direction the policy gradient pushes) is positive.
        for (const [pos, neg] of [[0, 1], [2, 3]] as const) expect(after[pos]! - after[neg]!).toBeGreaterThan(before[pos]! - before[neg]!);
        const advantage = new Map(taken.samples.map((s) => [s.sample.rolloutId, s.advantage!]));
        const push = texts.reduce((sum, _, i) => sum + advantage.get(`r${i}`)! * (after[i]! - before[i]!), 0);
        expect(push).toBeGreaterThan(0);
      } finally {
        await client.close();
        await server.close();
      }
    } finally {
      await buffer.close();
    }
    const stats = await worker.client.stats();
    expect(stats).toMatchObject({ initialized: true, step: 2, backend: 'torch_hf' });
    expect(stats.tokensTrained).toBeGreaterThan(0);
  }, 120_000);

  it('rejects a frame of the wrong version with PHYSARUM_WIRE, and the worker stays usable', async () => {
    const good = encodeTrainerBatch(buildTrainerBatch([{ sample: sample(9, 9, 'a', 'b', 1, [-1]) as never, advantage: 1 }], { maxTokensPerGpu: 8, dpSize: 1 }));
    const bad = new Uint8Array(good); // a copy (Buffer.slice would be a view)
    bad.set(Buffer.from('JUNK'), 0);
    await expect(worker.client.trainStep(bad, { step: 3 })).rejects.toMatchObject({ code: 'PHYSARUM_WIRE', verb: 'train_step' });
    await expect(worker.client.computeLogprobs(good)).resolves.toMatchObject({ rolloutIds: ['r9'] });
  });

  it('shutdown ends the process with exit code 0', async () => {
    await worker.client.shutdown();
    await expect(worker.exited).resolves.toMatchObject({ code: 0 });
    expect(stderr).not.toMatch(/Traceback/);
  });
});

describe('startTrainerWorker without the packages', () => {
  it('says in one line which package is missing', async () => {
    const bare = '/usr/bin/python3';
    const error = await startTrainerWorker({ python: bare, stderr: 'ignore' }).then(() => null, (e: unknown) => e as Error & { code: string });
    expect(error?.code).toBe('PHYSARUM_TRAINER_BACKEND_UNAVAILABLE');
    expect(error?.message).toMatch(/^trainer worker: the Python package '(transformers|torch|aiohttp|msgpack|numpy)' is missing from \/usr\/bin\/python3; install it with/);
    expect(error?.message).not.toContain('\n');
    await expect(startTrainerWorker({ python: '/nonexistent/python' })).rejects.toMatchObject({ message: expect.stringContaining('no Python at /nonexistent/python') });
  });
});
