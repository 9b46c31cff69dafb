/**
 * End to end on CPU with the real parts: embedded llama.cpp engine, Data Buffer, the torch_hf
 * worker (python -m physarum_trainer.worker) and `physarum train`. 3 sync steps, then 3 async
 * steps resumed from its checkpoint; then a driver SIGKILLed mid-run and resumed, counted against
 * the buffer: every step trained on its own groups, no group twice, none left behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { parseRecipe } from '../../src/driver/recipe-load.ts';
import { runRecipe } from '../../src/driver/run.ts';
import { startWorker } from '../../src/driver/start-worker.ts';

const root = path.resolve(import.meta.dirname, '../..');
const hasPython = existsSync(path.join(root, '.venv/bin/python'));

function rawRecipe(runDir: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'e2e', env: path.join(root, 'envs/addition'),
    data: { train: path.join(root, 'envs/addition/train.jsonl'), heldOut: path.join(root, 'envs/addition/held-out.jsonl@[0:8]') },
    model: { tiny: { layers: 1, hidden: 64, seed: 0 } },
    engine: { kind: 'embedded', threads: 1, sequences: 8, contextSize: 64 },
    trainer: { backend: 'torch_hf', device: 'cpu', optimizer: { lr: 1e-3 } },
    algorithm: { dropZeroStd: false, maxStaleness: 1, partialRollout: true },
    rollout: { batchSize: 4, nSamplesPerPrompt: 4, sampling: { temperature: 1, top_k: -1, max_new_tokens: 4 } },
    eval: { every: 0 },
    train: { mode: 'sync', steps: 3, saveEvery: 1, seed: 7 },
    runDir,
    ...extra,
  };
}

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);

function consumed(runDir: string) {
  const buffer = DataBuffer.open(path.join(runDir, 'buffer.sqlite'));
  try {
    return {
      groups: buffer.groups({ state: 'consumed' }).map((g) => ({ step: g.step!, groupIndex: g.groupIndex, versions: buffer.samplesOf(g.id).map((s) => s.sample.weightVersions) })),
      counts: buffer.groupCounts(),
    };
  } finally {
    void buffer.close();
  }
}

describe.skipIf(!hasPython)('physarum train end to end (CPU)', () => {
  it('3 sync steps then 3 async steps: versions advance on the engine and on the samples, losses finite, metrics complete', async () => {
    const runDir = mkdtempSync(path.join(tmpdir(), 'e2e-train-'));
    const sync = await runRecipe({ recipe: parseRecipe(rawRecipe(runDir)), startWorker, log: () => undefined });
    expect(sync.weightVersion).toBe(3);
    const after = await runRecipe({ recipe: parseRecipe(rawRecipe(runDir, { train: { mode: 'async', steps: 6, saveEvery: 1, seed: 7 } })), startWorker, resume: true, log: () => undefined });
    expect(after.weightVersion).toBe(6);
    // The final weights are an HF checkpoint folder a next run (or transformers) loads as a model path.
    for (const file of ['config.json', 'model.safetensors', 'tokenizer.json']) expect(existsSync(path.join(runDir, 'final', file)), file).toBe(true);
    const metrics = lines(path.join(runDir, 'metrics.jsonl'));
    expect(metrics.map((m) => `${m.step}:${m.mode}`)).toEqual(['0:sync', '1:sync', '2:sync', '3:async', '4:async', '5:async']);
    for (const m of metrics) {
      expect(Number.isFinite(m['train/loss'])).toBe(true);
      for (const key of ['reward_mean', 'reward/exact', 'zero_std_group_frac', 'stale_frac', 'train_rollout_logprob_abs_diff', 'entropy', 'time/rollout', 'time/train', 'time/export', 'time/sync', 'tokens_per_s'])
        expect(m, key).toHaveProperty([key]);
    }
    const { groups } = consumed(runDir);
    for (const g of groups.filter((g) => g.step < 3)) for (const v of g.versions) expect(v).toEqual([String(g.step)]);
    // Async: step k's samples come from version k (or k-1 at most, maxStaleness 1).
    for (const g of groups.filter((g) => g.step >= 3)) for (const v of g.versions.flat()) expect(g.step - Number(v)).toBeLessThanOrEqual(1);
  }, 600_000);

  it('SIGKILL of the driver mid-run, then --resume: no group lost or trained twice', async () => {
    const runDir = mkdtempSync(path.join(tmpdir(), 'e2e-kill-'));
    const file = path.join(runDir, 'recipe.json');
    writeFileSync(file, JSON.stringify(rawRecipe(path.join(runDir, 'run'), { train: { mode: 'sync', steps: 6, saveEvery: 2, seed: 7 } })));
    const metricsFile = path.join(runDir, 'run', 'metrics.jsonl');
    const driver = spawn(process.execPath, [path.join(root, 'bin/physarum.js'), 'train', file], { cwd: root, stdio: 'ignore' });
    const exited = new Promise((resolve) => driver.once('exit', resolve));
    // Kill after step 3 is written (checkpoint at step 2 only): steps 3.. must come back exactly once.
    while (!(existsSync(metricsFile) && lines(metricsFile).length >= 4)) await new Promise((r) => setTimeout(r, 200));
    driver.kill('SIGKILL');
    await exited;
    const resumed = spawn(process.execPath, [path.join(root, 'bin/physarum.js'), 'train', file, '--resume'], { cwd: root, stdio: 'inherit' });
    expect(await new Promise((resolve) => resumed.once('exit', resolve))).toBe(0);
    const { groups, counts } = consumed(path.join(runDir, 'run'));
    const perStep = new Map<number, number>();
    for (const g of groups) perStep.set(g.step, (perStep.get(g.step) ?? 0) + 1);
    expect([...perStep.entries()].sort((a, b) => a[0] - b[0])).toEqual([0, 1, 2, 3, 4, 5].map((s) => [s, 4]));
    expect(new Set(groups.map((g) => g.groupIndex)).size).toBe(groups.length);
    expect(counts.ready ?? 0).toBe(0);
  }, 600_000);
});
