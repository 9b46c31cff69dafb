/**
 * The run directory: metrics.jsonl (one line per step), eval.jsonl (one line per eval), the Data
 * Buffer, checkpoints, exported weights, and (for tiny models) the model itself. A fresh run
 * refuses a directory that already holds one, unless told to resume it or start over.
 */
import { appendFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../protocol/errors.ts';

export interface RunPaths {
  root: string;
  metrics: string;
  evals: string;
  buffer: string;
  weights: string;
  model: string;
  final: string;
}

export function runPaths(root: string): RunPaths {
  return {
    root,
    metrics: path.join(root, 'metrics.jsonl'),
    evals: path.join(root, 'eval.jsonl'),
    buffer: path.join(root, 'buffer.sqlite'),
    weights: path.join(root, 'weights'),
    model: path.join(root, 'model'),
    final: path.join(root, 'final'),
  };
}

/** Prepare the directory for a fresh run, a resumed one, or start over (`fresh`: the model cache stays). */
export function prepareRunDir(paths: RunPaths, mode: { resume: boolean; fresh: boolean }): void {
  const held = [paths.metrics, paths.buffer, path.join(paths.root, 'checkpoints')].filter((p) => existsSync(p));
  if (mode.fresh) {
    for (const p of [paths.metrics, paths.evals, paths.weights, paths.final, path.join(paths.root, 'checkpoints'), paths.buffer, `${paths.buffer}-wal`, `${paths.buffer}-shm`])
      rmSync(p, { recursive: true, force: true });
  } else if (!mode.resume && held.length > 0) {
    throw new InvalidInputError(`run directory ${paths.root} already holds a run (${path.basename(held[0]!)}): pass --resume to continue it or --fresh to start over`);
  }
  // Exports of an earlier process are never loaded by this one's engines (the driver starts them on
  // a fresh export), and the worker refuses to overwrite a version: start the folder empty.
  rmSync(paths.weights, { recursive: true, force: true });
  mkdirSync(paths.weights, { recursive: true });
}

/** Appends JSON lines; each line is one write, so a killed run leaves whole lines. */
export function jsonlWriter(file: string): (record: unknown) => void {
  return (record) => appendFileSync(file, JSON.stringify(record) + '\n');
}
