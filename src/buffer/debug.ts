/**
 * Debug and reuse (issue #5): dump a step's samples, replay a dump into training without
 * generation, re-score stored samples with a changed rubric.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, throwIfAborted } from '../protocol/errors.ts';
import { VerifierError } from '../env/errors.ts';
import { isInfrastructureFailure, Sample, type Sample as SampleRecord } from '../protocol/sample.ts';
import type { DataBuffer, IngestAck } from './data-buffer.ts';
import type { ScoreUpdate } from './queries.ts';
import type { Exclusion } from './normalize.ts';
import type { GroupState, TrainSample } from './rows.ts';
import { packArrays } from './sample-codec.ts';

export const STEP_DUMP_FORMAT = 'physarum.step-dump';

export interface StepDump {
  format: typeof STEP_DUMP_FORMAT;
  version: 1;
  step: number;
  /** Every sample of the step's groups: trainable ones with their advantage, excluded ones with the reason. */
  samples: Array<{ id: number; groupId: number; advantage: number | null; excluded: Exclusion | null; sample: SampleRecord }>;
}

/** Write the samples of a taken step to a JSON file; returns the dump. Throws if the step was never taken. */
export function dumpStep(buffer: DataBuffer, step: number, file: string): StepDump {
  const batch = buffer.stepBatch(step);
  if (batch.groups.length === 0) throw new InvalidInputError(`step ${step} has not been taken from buffer ${buffer.file}: nothing to dump`);
  const samples = batch.groups.flatMap((g) =>
    g.samples.map((t) => ({ id: t.id, groupId: t.groupId, advantage: t.advantage, excluded: t.excluded, sample: t.sample })),
  );
  const dump: StepDump = { format: STEP_DUMP_FORMAT, version: 1, step, samples };
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(dump)}\n`);
  return dump;
}

/**
 * Read a dump back as training input: `samples` (advantage set, packed arrays ready for
 * `buildTrainerBatch`) and `excluded`. No engine, no buffer needed: replay into training.
 */
export function loadStepDump(file: string): { step: number; samples: TrainSample[]; excluded: TrainSample[] } {
  let raw: StepDump;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as StepDump;
  } catch (cause) {
    throw new InvalidInputError(`cannot read step dump ${file}: ${(cause as Error).message}`, { cause });
  }
  if (raw?.format !== STEP_DUMP_FORMAT || raw.version !== 1) throw new InvalidInputError(`${file} is not a physarum step dump (format ${String(raw?.format)})`);
  const all = raw.samples.map((entry, i) => {
    const parsed = Sample.safeParse(entry.sample);
    if (!parsed.success) throw new InvalidInputError(`${file}: sample ${i} is not a valid Sample: ${parsed.error.issues[0]?.message}`);
    return { id: entry.id, groupId: entry.groupId, advantage: entry.advantage, excluded: entry.excluded, sample: parsed.data, packed: packArrays(parsed.data) };
  });
  return { step: raw.step, samples: all.filter((s) => s.advantage !== null), excluded: all.filter((s) => s.advantage === null) };
}

/** Put a dump's groups into a buffer as fresh groups, so a normal training loop can take them again. */
export async function ingestStepDump(buffer: DataBuffer, file: string, options: { signal?: AbortSignal } = {}): Promise<IngestAck[]> {
  const dump = loadStepDump(file);
  const byGroup = new Map<number, SampleRecord[]>();
  for (const s of [...dump.samples, ...dump.excluded].sort((a, b) => a.id - b.id)) {
    const list = byGroup.get(s.groupId) ?? [];
    list.push(s.sample);
    byGroup.set(s.groupId, list);
  }
  const acks: IngestAck[] = [];
  for (const group of byGroup.values()) acks.push(await buffer.ingest(group, options));
  return acks;
}

/** A rubric over a stored sample: the env engineer's rubrics fit through a small adapter. */
export type SampleRubric = (
  sample: SampleRecord,
) => number | { reward: number; rewards?: Record<string, number> } | Promise<number | { reward: number; rewards?: Record<string, number> }>;

export interface RescoreReport {
  rescored: number;
  /** The rubric threw: those samples are now verifier_error with reward null (never 0). */
  failed: number;
  /** Not scorable (aborted or infrastructure failures keep their status and null reward). */
  skipped: number;
}

/**
 * Re-score stored samples with a changed rubric: groups of `state` (default 'ready'), or of a taken
 * `step` (a replay of that step then trains on the new rewards). Advantages are recomputed at take.
 */
export async function rescore(
  buffer: DataBuffer,
  rubric: SampleRubric,
  options: { state?: GroupState; step?: number; signal?: AbortSignal } = {},
): Promise<RescoreReport> {
  const groups = options.step !== undefined ? buffer.groups({ step: options.step, state: 'consumed' }) : buffer.groups({ state: options.state ?? 'ready' });
  const updates: ScoreUpdate[] = [];
  const report: RescoreReport = { rescored: 0, failed: 0, skipped: 0 };
  for (const { sample, id } of groups.flatMap((g) => g.samples)) {
    throwIfAborted(options.signal);
    if (sample.status === 'aborted' || isInfrastructureFailure(sample.status)) {
      report.skipped++;
      continue;
    }
    try {
      const out = await rubric(sample);
      const reward = typeof out === 'number' ? out : out.reward;
      if (!Number.isFinite(reward)) throw new VerifierError('rubric', `rubric returned ${String(reward)}, not a finite number`);
      updates.push({ id, reward, rewards: typeof out === 'number' ? { ...sample.rewards, reward } : (out.rewards ?? sample.rewards) });
      report.rescored++;
    } catch (error) {
      updates.push({ id, reward: null, status: 'verifier_error', statusReason: `re-scoring failed: ${(error as Error).message}` });
      report.failed++;
    }
  }
  await buffer.updateScores(updates, options);
  return report;
}
