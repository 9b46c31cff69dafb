/**
 * The driver's loop on a scripted SGLang server and a test double of the worker: weight versions
 * advance on the engine and on the samples, metrics lines are complete, async overlaps with
 * bounded staleness, colocated engines release memory while the worker trains, and a crash in
 * the middle of a run resumes without losing or re-training a group.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { loadTokenizer } from '../../src/chat/tokenizer.ts';
import { loadScript, startScriptedServer } from '../../src/engine/scripted/server.ts';
import { parseRecipe } from '../../src/driver/recipe-load.ts';
import { runRecipe, type StartWorker } from '../../src/driver/run.ts';
import { fakeTrainer, type FakeTrainer } from './fake-trainer.ts';
import { byteModelDir } from './byte-model-dir.ts';

const root = path.resolve(import.meta.dirname, '../..');
let modelDir = '';
let script = '';

beforeAll(() => {
  modelDir = byteModelDir('driver-model-');
  script = path.join(modelDir, 'script.json');
  // One reply for every prompt: right for the pairs that sum to 7, wrong otherwise.
  writeFileSync(script, JSON.stringify({ episodes: [{ task: '=', turns: ['7'] }] }));
});

function recipe(overrides: Record<string, unknown> = {}, train: Record<string, unknown> = {}) {
  const runDir = mkdtempSync(path.join(tmpdir(), 'driver-run-'));
  return parseRecipe({
    name: 'loop-test', env: path.join(root, 'envs/addition'),
    data: { train: path.join(root, 'envs/addition/train.jsonl'), heldOut: path.join(root, 'envs/addition/held-out.jsonl@[0:8]') },
    model: { path: modelDir },
    engine: { kind: 'scripted', script, latencyMs: 0, tokenLatencyMs: 2 },
    algorithm: { dropZeroStd: false },
    rollout: { batchSize: 4, nSamplesPerPrompt: 2, sampling: { temperature: 1, max_new_tokens: 4 } },
    eval: { every: 2 },
    train: { steps: 3, saveEvery: 1, ...train },
    runDir,
    ...overrides,
  });
}

const starter = (fake: FakeTrainer): StartWorker => async () => ({ client: fake, exited: new Promise(() => undefined), stop: async () => undefined });
const quiet = { log: () => undefined };
const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);

function consumed(runDir: string): Array<{ step: number; groupIndex: number; versions: string[] }> {
  const buffer = DataBuffer.open(path.join(runDir, 'buffer.sqlite'));
  try {
    return buffer.groups({ state: 'consumed' }).map((g) => ({
      step: g.step!, groupIndex: g.groupIndex, versions: [...new Set(buffer.samplesOf(g.id).flatMap((s) => s.sample.weightVersions))],
    }));
  } finally {
    void buffer.close();
  }
}

describe('training loop (scripted engine, worker double)', () => {
  it('sync: each step trains on samples of the previous version, and the engine gets every new version', async () => {
    const r = recipe();
    const fake = fakeTrainer();
    const summary = await runRecipe({ recipe: r, startWorker: starter(fake), ...quiet });
    expect(summary.weightVersion).toBe(3);
    expect(fake.steps.map((s) => s.step)).toEqual([0, 1, 2]);
    expect(fake.exports).toEqual([0, 1, 2, 3, 3]); // initial, one per step, the final HF export
    for (const g of consumed(r.runDir)) expect(g.versions).toEqual([String(g.step)]);
    const metrics = lines(path.join(r.runDir, 'metrics.jsonl'));
    expect(metrics.map((m) => m.step)).toEqual([0, 1, 2]);
    for (const m of metrics)
      for (const key of ['reward_mean', 'reward_std', 'reward/exact', 'response_length_mean', 'truncated_frac', 'aborted_frac', 'zero_std_group_frac',
        'filtered_group_frac', 'stale_frac', 'train/loss', 'train_rollout_logprob_abs_diff', 'entropy', 'kl', 'time/rollout', 'time/train',
        'time/export', 'time/sync', 'tokens_per_s', 'episodes_per_s'])
        expect(m, key).toHaveProperty([key]);
    const evals = lines(path.join(r.runDir, 'eval.jsonl'));
    expect(evals.map((e) => e.step)).toEqual([-1, 1, 2]);
    expect(evals[0]).toHaveProperty('heldout_reward');
  });

  it('async: rollout k+1 overlaps training k; samples are at most maxStaleness versions old', async () => {
    const r = recipe({ algorithm: { dropZeroStd: false, maxStaleness: 1, partialRollout: true } }, { mode: 'async', steps: 4 });
    const fake = fakeTrainer();
    const summary = await runRecipe({ recipe: r, startWorker: starter(fake), ...quiet });
    expect(summary.weightVersion).toBe(4);
    const groups = consumed(r.runDir);
    expect(new Set(groups.map((g) => g.step))).toEqual(new Set([0, 1, 2, 3]));
    for (const g of groups) for (const v of g.versions) expect(g.step - Number(v)).toBeLessThanOrEqual(1);
    // Some step trained on samples generated under the previous version: the overlap happened.
    expect(groups.some((g) => g.versions.some((v) => Number(v) < g.step))).toBe(true);
  });

  it('external engines load the first export (v0) before step 0, then every new version', async () => {
    const server = await startScriptedServer({ script: await loadScript(script), tokenizer: await loadTokenizer(modelDir), weightVersion: 'base' });
    try {
      const r = recipe({ engine: { kind: 'external', urls: [server.url] } }, { steps: 2 });
      const fake = fakeTrainer();
      const summary = await runRecipe({ recipe: r, startWorker: starter(fake), ...quiet });
      expect(fake.exports).toEqual([0, 1, 2, 2]); // v0 once, one per step, the final HF export
      expect(server.engine.weightVersion).toBe(String(summary.weightVersion));
      for (const g of consumed(r.runDir)) expect(g.versions).toEqual([String(g.step)]);
    } finally {
      await server.close();
    }
  });

  it('rollout.concurrency bounds the model calls in flight', async () => {
    const server = await startScriptedServer({ script: await loadScript(script), tokenizer: await loadTokenizer(modelDir), latencyMs: 20 });
    let inFlight = 0;
    let most = 0;
    server.engine.on('request-start', () => (most = Math.max(most, ++inFlight)));
    server.engine.on('request-end', () => void inFlight--);
    try {
      // 8 groups of 2: 16 episodes could all be in flight at once without the bound.
      const r = recipe({ engine: { kind: 'external', urls: [server.url] }, rollout: { batchSize: 8, nSamplesPerPrompt: 2, concurrency: 3, sampling: { temperature: 1, max_new_tokens: 4 } } }, { steps: 1 });
      await runRecipe({ recipe: r, startWorker: starter(fakeTrainer()), ...quiet });
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(3);
    } finally {
      await server.close();
    }
  });

  it('colocated: the engine has released its memory while the worker trains, and has it back to roll out', async () => {
    const r = recipe({}, { colocate: true, steps: 2 });
    const fake = fakeTrainer();
    let url = '';
    const log = (line: string): void => void (url = /scripted server at (\S+)/.exec(line)?.[1] ?? url);
    const refusals: string[] = [];
    fake.onTrain = async () => {
      // While the worker trains, the engine holds no memory: generation is refused.
      const response = await fetch(`${url}/generate`, { method: 'POST', body: JSON.stringify({ input_ids: [1, 2], sampling_params: { max_new_tokens: 1 } }) });
      refusals.push(`${response.status} ${await response.text()}`);
    };
    const summary = await runRecipe({ recipe: r, startWorker: starter(fake), log });
    expect(summary.weightVersion).toBe(2);
    expect(refusals).toHaveLength(2);
    for (const refusal of refusals) expect(refusal).toMatch(/memory is released/);
    // ...and step 1 rolled out after step 0 trained: the sync gave the memory back.
    expect(consumed(r.runDir).filter((g) => g.step === 1).every((g) => g.versions[0] === '1')).toBe(true);
  });

  it('resume after a crash: no consumed group is lost or trained twice', async () => {
    const r = recipe({}, { steps: 6, saveEvery: 2 });
    const fake = fakeTrainer();
    fake.onTrain = (step) => {
      if (step === 4) throw new Error('simulated crash in step 4');
    };
    await expect(runRecipe({ recipe: r, startWorker: starter(fake), ...quiet })).rejects.toThrow('simulated crash');
    fake.onTrain = undefined;
    const summary = await runRecipe({ recipe: r, startWorker: starter(fake), resume: true, ...quiet });
    expect(summary.trainedThrough).toBe(5);
    // The worker's lineage after resume: steps 0-3 from the checkpoint, then 4 and 5 once.
    expect(fake.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5]);
    const groups = consumed(r.runDir);
    const perStep = new Map<number, number>();
    for (const g of groups) perStep.set(g.step, (perStep.get(g.step) ?? 0) + 1);
    expect([...perStep.entries()].sort((a, b) => a[0] - b[0])).toEqual([0, 1, 2, 3, 4, 5].map((s) => [s, 4]));
    expect(new Set(groups.map((g) => g.groupIndex)).size).toBe(groups.length);
    const buffer = DataBuffer.open(path.join(r.runDir, 'buffer.sqlite'));
    expect(buffer.groupCounts().ready ?? 0).toBe(0);
    await buffer.close();
  });
});
