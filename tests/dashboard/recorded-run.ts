// A recorded RL run built from the real pieces the driver uses: groups ingested into a Data Buffer
// file, each step's batch taken from it, and the step's metrics line made by the driver's
// stepMetrics (the trainer's numbers are made up: no model runs here). Returns the lines instead
// of writing them, so a test can write them all at once or over time.
import { appendFileSync, mkdirSync } from 'node:fs';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { runPaths } from '../../src/driver/run-dir.ts';
import { stepMetrics } from '../../src/driver/step-metrics.ts';
import { makeGroup } from '../buffer/make-sample.ts';

export interface RecordedRun {
  metrics: Record<string, number | string>[];
  evals: Record<string, number | string>[];
}

export async function recordRun(dir: string, steps: number): Promise<RecordedRun> {
  mkdirSync(dir, { recursive: true });
  const buffer = DataBuffer.open(runPaths(dir).buffer);
  const metrics: RecordedRun['metrics'] = [];
  const evals: RecordedRun['evals'] = [];
  try {
    for (let step = 0; step < steps; step++) {
      // Rewards climb with the step; each group has spread so none is dropped as zero-std.
      const base = step / steps;
      for (let g = 0; g < 2; g++) {
        const group = makeGroup(step * 10 + g, [base, base + 0.5, 0, 1], (step * 10 + g) * 100, { rewards: { correct: base }, responseTokens: 4 + step });
        await buffer.ingest(group);
      }
      const batch = await buffer.takeBatch({ step, groups: 2 });
      const train = { loss: 1 / (step + 1), pg_loss: 0.5 / (step + 1), kl_loss: 0.01 * step, entropy_loss: 2, clipfrac: 0.1, approx_kl: 0.02 * step, entropy: 2 - step / steps, grad_norm: 3 + step, train_rollout_logprob_abs_diff: 0.001 * (step + 1), tokens_per_s: 1000 + step };
      const times = { rollout: 1, take: 0.01, train: 2, export: 0.3, sync: 0.2, eval: 0, save: 0, step: 3.5 };
      metrics.push(stepMetrics({ step, mode: 'sync', weightVersion: step + 1, batch, train, times, rolloutSeconds: 1 }));
      if (step % 2 === 1) evals.push({ event: 'eval', step, weight_version: step + 1, heldout_failed: 0, heldout_seconds: 0.5, heldout_reward: base });
    }
  } finally {
    await buffer.close();
  }
  return { metrics, evals };
}

export function appendLines(file: string, records: readonly unknown[]): void {
  if (records.length > 0) appendFileSync(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** Writes a recorded run's files completely: a finished run. */
export function writeRun(dir: string, run: RecordedRun): void {
  appendLines(runPaths(dir).metrics, run.metrics);
  appendLines(runPaths(dir).evals, run.evals);
}
