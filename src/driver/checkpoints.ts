/**
 * Checkpoint bookkeeping of a run directory. The worker writes each checkpoint atomically
 * (`save`); the driver then points `checkpoints/latest.json` at it (write to a temp file, rename),
 * so a SIGKILL at any moment leaves `latest.json` naming a complete checkpoint or the one before.
 * The cursor saved with a checkpoint is the driver's training position; the rollout position
 * lives in the Data Buffer's cursor (committed with every rollout step).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../protocol/errors.ts';
import type { TrainerPort } from './trainer-port.ts';

export const TrainCursor = z.object({
  version: z.literal(1),
  /** The last step whose training is in this checkpoint. */
  trainedStep: z.number().int().min(-1),
  /** Weight version the checkpoint's weights carry on the engines. */
  weightVersion: z.number().int().nonnegative(),
});
export type TrainCursor = z.infer<typeof TrainCursor>;

/** What the Data Buffer's cursor holds: the rollout manager's state after a whole rollout step. */
export const RolloutCursor = z.object({ rolloutStep: z.number().int().min(-1), rollout: z.unknown() });
export type RolloutCursor = z.infer<typeof RolloutCursor>;

const Latest = z.object({ step: z.number().int(), dir: z.string() });

export class Checkpoints {
  readonly dir: string;
  constructor(runDir: string) {
    this.dir = path.join(runDir, 'checkpoints');
  }

  latest(): z.infer<typeof Latest> | undefined {
    let text: string;
    try {
      text = readFileSync(path.join(this.dir, 'latest.json'), 'utf8');
    } catch {
      return undefined;
    }
    const parsed = Latest.safeParse(JSON.parse(text));
    if (!parsed.success) throw new InvalidInputError(`${path.join(this.dir, 'latest.json')} is not a checkpoint pointer`);
    return parsed.data;
  }

  async save(trainer: TrainerPort, cursor: TrainCursor): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    const dir = path.join(this.dir, `step-${String(cursor.trainedStep + 1).padStart(6, '0')}`);
    await trainer.save({ dir, step: cursor.trainedStep, cursor });
    const tmp = path.join(this.dir, `latest.json.tmp-${process.pid}`);
    writeFileSync(tmp, JSON.stringify({ step: cursor.trainedStep, dir }));
    renameSync(tmp, path.join(this.dir, 'latest.json'));
    return dir;
  }

  async load(trainer: TrainerPort): Promise<TrainCursor | undefined> {
    const latest = this.latest();
    if (!latest) return undefined;
    const loaded = await trainer.load({ dir: latest.dir });
    const cursor = TrainCursor.safeParse(loaded.cursor);
    if (!cursor.success) throw new InvalidInputError(`checkpoint ${latest.dir} carries no physarum training cursor`);
    return cursor.data;
  }
}
