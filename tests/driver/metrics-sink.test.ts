/**
 * The driver's metrics sink on a short run (scripted engine, worker double, the real Python sink):
 * metrics.jsonl comes back out of TensorBoard's own event reader with the same steps and values,
 * and a sink that cannot start is one log line while the run finishes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRecipe } from '../../src/driver/recipe-load.ts';
import { runRecipe, type StartWorker } from '../../src/driver/run.ts';
import { fakeTrainer } from './fake-trainer.ts';
import { byteModelDir } from './byte-model-dir.ts';

const root = path.resolve(import.meta.dirname, '../..');
const python = path.join(root, '.venv/bin/python');
const hasTensorboard = existsSync(python) && spawnSync(python, ['-c', 'import tensorboard, torch.utils.tensorboard']).status === 0;
let modelDir = '';
let script = '';

beforeAll(() => {
  modelDir = byteModelDir('sink-model-');
  script = path.join(modelDir, 'script.json');
  writeFileSync(script, JSON.stringify({ episodes: [{ task: '=', turns: ['7'] }] }));
});

function recipe(extra: Record<string, unknown> = {}) {
  return parseRecipe({
    name: 'sink-test', env: path.join(root, 'envs/addition'),
    data: { train: path.join(root, 'envs/addition/train.jsonl') },
    model: { path: modelDir },
    engine: { kind: 'scripted', script, latencyMs: 0, tokenLatencyMs: 1 },
    algorithm: { dropZeroStd: false },
    rollout: { batchSize: 2, nSamplesPerPrompt: 2, sampling: { temperature: 1, max_new_tokens: 4 } },
    train: { steps: 3 },
    runDir: mkdtempSync(path.join(tmpdir(), 'sink-run-')),
    ...extra,
  });
}

const starter: StartWorker = async () => ({ client: fakeTrainer(), exited: new Promise(() => undefined), stop: async () => undefined });

/** Every scalar tag's (step, value) points, read by tensorboard's EventAccumulator. */
function readEvents(logdir: string): Record<string, Array<[number, number]>> {
  const code = [
    'import json, sys',
    'from tensorboard.backend.event_processing.event_accumulator import EventAccumulator',
    'acc = EventAccumulator(sys.argv[1]); acc.Reload()',
    'print(json.dumps({t: [[e.step, e.value] for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}))',
  ].join('\n');
  const out = spawnSync(python, ['-c', code, logdir], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Record<string, Array<[number, number]>>;
}

describe('metrics sink beside a training run', () => {
  it.skipIf(!hasTensorboard)('writes every metrics.jsonl line as TensorBoard scalars, read back by the event reader', async () => {
    const r = recipe();
    const logged: string[] = [];
    await runRecipe({ recipe: r, startWorker: starter, log: (line) => logged.push(line) });
    const logdir = path.join(r.runDir, 'tensorboard');
    expect(readdirSync(logdir).some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);
    const metrics = readFileSync(path.join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const events = readEvents(logdir);
    for (const key of ['reward_mean', 'train/loss', 'time/rollout', 'tokens_per_s']) {
      expect(events[key]!.map(([step]) => step), key).toEqual(metrics.map((m) => m.step));
      // Event files hold float32.
      events[key]!.forEach(([, value], i) => expect(value, key).toBeCloseTo(metrics[i]![key]!, 4));
    }
    expect(events).not.toHaveProperty('mode');
    expect(logged.some((l) => /metrics sink: 3 steps written to tensorboard/.test(l))).toBe(true);
  });

  it('a sink that cannot start is one line, and the run finishes', async () => {
    const r = recipe({ trainer: { python: path.join(tmpdir(), 'no-such-python') } });
    const logged: string[] = [];
    const summary = await runRecipe({ recipe: r, startWorker: starter, log: (line) => logged.push(line) });
    expect(summary.trainedThrough).toBe(2);
    expect(logged.filter((l) => l.startsWith('metrics sink:'))).toEqual([expect.stringMatching(/no Python at .*no-such-python; TensorBoard\/W&B are off/)]);
    expect(existsSync(path.join(r.runDir, 'tensorboard'))).toBe(false);
  });

  it('logging.tensorboard false starts no sink', async () => {
    const r = recipe({ logging: { tensorboard: false } });
    const logged: string[] = [];
    await runRecipe({ recipe: r, startWorker: starter, log: (line) => logged.push(line) });
    expect(logged.some((l) => l.startsWith('metrics sink'))).toBe(false);
    expect(existsSync(path.join(r.runDir, 'tensorboard'))).toBe(false);
  });
});
