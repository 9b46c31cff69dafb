/**
 * `physarum train` on an env that needs Docker sandboxes: the driver opens the env's run (its
 * sandboxes, its setup and close) once, and both the training rollouts and held-out eval episodes
 * lease real sandboxes from it. Scripted engine and a worker double; the sandboxes are real.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/driver/recipe-load.ts';
import { runRecipe, type StartWorker } from '../../src/driver/run.ts';
import { fakeTrainer } from '../driver/fake-trainer.ts';
import { docker } from '../sandboxes/fixtures/pool.ts';
import { byteModelDir } from '../driver/byte-model-dir.ts';

const root = path.resolve(import.meta.dirname, '../..');
let dir = '';

beforeAll(async () => {
  await docker.ping();
  dir = byteModelDir('driver-sandbox-');
  writeFileSync(path.join(dir, 'train.jsonl'), ['alpha', 'alpha', 'alpha'].map((word) => JSON.stringify({ word })).join('\n') + '\n');
  writeFileSync(path.join(dir, 'held-out.jsonl'), JSON.stringify({ word: 'alpha' }) + '\n');
  // The shell call only earns reward 1 when it really runs in a sandbox whose workdir is /workspace.
  const call = `<tool_call>\n{"name": "shell", "arguments": {"command": "echo alpha from $(pwd)"}}\n</tool_call>`;
  writeFileSync(path.join(dir, 'script.json'), JSON.stringify({ episodes: [{ task: '', turns: [call] }] }));
}, 600_000);

const starter: StartWorker = async () => ({ client: fakeTrainer(), exited: new Promise(() => undefined), stop: async () => undefined });

describe('the training driver on a sandbox env', () => {
  it('leases real sandboxes for training rollouts and held-out eval', async () => {
    const recipe = parseRecipe({
      name: 'driver-sandbox', env: path.join(root, 'tests/e2e/fixtures/sandbox-echo-env.ts'),
      data: { train: path.join(dir, 'train.jsonl'), heldOut: path.join(dir, 'held-out.jsonl') },
      model: { path: dir },
      engine: { kind: 'scripted', script: path.join(dir, 'script.json'), latencyMs: 0 },
      algorithm: { dropZeroStd: false },
      rollout: { batchSize: 1, nSamplesPerPrompt: 2, sampling: { temperature: 1, max_new_tokens: 256 } },
      eval: { every: 1 },
      train: { steps: 2 },
      logging: { tensorboard: false },
      runDir: mkdtempSync(path.join(tmpdir(), 'driver-sandbox-run-')),
    });
    const result = await runRecipe({ recipe, startWorker: starter, log: () => undefined });
    const metrics = readFileSync(path.join(recipe.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(metrics).toHaveLength(2);
    for (const line of metrics) expect(line.reward_mean).toBe(1);
    expect(result.lastEval?.heldout_reward).toBe(1);
    expect(result.lastEval?.heldout_failed).toBe(0);
  }, 600_000);
});
