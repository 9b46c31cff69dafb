/**
 * A test double of the trainer worker (the driver's TrainerPort): records every call, decodes
 * each frame it is given, "exports" weights as small files (the scripted server checks the path
 * exists), and keeps saved checkpoints in memory.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeTrainerBatch } from '../../src/buffer/wire.ts';
import type { TrainerPort } from '../../src/driver/trainer-port.ts';

export interface FakeTrainer extends TrainerPort {
  steps: Array<{ step: number; samples: number; loss?: unknown }>;
  saved: Map<string, { step: number; cursor: unknown }>;
  exports: number[];
  /** Called inside trainStep (e.g. to check engine memory is released). */
  onTrain?: (step: number) => void | Promise<void>;
}

export function fakeTrainer(): FakeTrainer {
  const fake: FakeTrainer = {
    steps: [],
    saved: new Map(),
    exports: [],
    async init() {
      return { backend: 'fake', device: 'cpu', parameters: 1 };
    },
    async trainStep(frame, args) {
      const { header } = decodeTrainerBatch(frame);
      await fake.onTrain?.(args.step);
      fake.steps.push({ step: args.step, samples: header.totals.samples, loss: args.loss });
      return { step: args.step, metrics: { loss: 0.5, pg_loss: 0.5, entropy: 1, train_rollout_logprob_abs_diff: 0.01, approx_kl: 0 } };
    },
    async save({ dir, step, cursor }) {
      fake.saved.set(dir, { step, cursor: structuredClone(cursor) });
      return { dir };
    },
    async load({ dir }) {
      const saved = fake.saved.get(dir);
      if (!saved) throw new Error(`no checkpoint at ${dir}`);
      return saved;
    },
    async exportWeights({ dir, version }) {
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `weights-${version}.gguf`);
      // As the worker: a version is exported once (an engine may have the file mapped).
      if (existsSync(file)) throw new Error(`export_weights: ${file} exists; export each version under a new number`);
      writeFileSync(file, `v${version}`);
      fake.exports.push(version);
      return { path: file, format: 'gguf', bytes: 3, seconds: 0 };
    },
    async shutdown() {
      return {};
    },
  };
  return fake;
}
