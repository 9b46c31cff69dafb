/**
 * Row shapes and the small pure helpers that turn samples into keys and stored versions.
 */
import type { Sample } from '../protocol/sample.ts';
import type { Exclusion } from './normalize.ts';
import type { PackedArrays } from './sample-codec.ts';

export type GroupState = 'ready' | 'partial' | 'consumed' | 'resumed' | 'dropped';

export interface GroupRow {
  id: number;
  group_key: string;
  group_index: number;
  state: GroupState;
  step: number | null;
  drop_reason: string | null;
  size: number;
  ingested_at: number;
}

export interface SampleRow {
  id: number;
  group_id: number;
  status: string;
  min_version: number | null;
  has_versions: number;
  excluded: Exclusion | null;
  meta: string;
  arrays: Buffer;
}

/** A stored sample with its buffer ids. */
export interface StoredSample {
  id: number;
  groupId: number;
  sample: Sample;
}

/** A sample as handed to training: advantage null means it takes no part (see `excluded`). */
export interface TrainSample extends StoredSample {
  advantage: number | null;
  /** The per-token arrays as typed arrays (what batch building copies from). */
  packed: PackedArrays;
  excluded: Exclusion | null;
}

export interface StoredGroup {
  id: number;
  groupIndex: number;
  state: GroupState;
  step: number | null;
  dropReason: string | null;
  samples: StoredSample[];
}

/** Identity of a sample: a retried ingest of the same episode is the same row. */
export function sampleKey(s: Pick<Sample, 'rolloutId' | 'agent' | 'forkIndex'>): string {
  return `${s.rolloutId}\u0001${s.agent}\u0001${s.forkIndex}`;
}

/**
 * Identity of a group: its prompt index plus its smallest rollout id. A retried ingest and a
 * resumed partial group (same rollouts, more tokens) both map to the stored group.
 */
export function groupKey(samples: ReadonlyArray<Pick<Sample, 'groupIndex' | 'rolloutId'>>): string {
  let min = samples[0]!.rolloutId;
  for (const s of samples) if (s.rolloutId < min) min = s.rolloutId;
  return `${samples[0]!.groupIndex}\u0001${min}`;
}

/**
 * Weight versions are strings on the wire (SGLang's `weight_version`); physarum stamps integers.
 * Returns the oldest numeric version, null when any is not an integer (its lag is unknown).
 */
/**
 * SGLang's weight_version before any update is "default" (its `--weight-version` default): the
 * weights the engine was launched with, i.e. version 0 of a run whose updates WeightSync stamps
 * "1", "2", ... Without this, every sample of a run's first steps would look infinitely stale.
 */
const INITIAL_VERSION = 'default';

export function oldestVersion(versions: readonly string[]): number | null {
  let oldest: number | null = null;
  for (const v of versions) {
    if (v !== INITIAL_VERSION && !/^\d+$/.test(v)) return null;
    const n = v === INITIAL_VERSION ? 0 : Number(v);
    if (oldest === null || n < oldest) oldest = n;
  }
  return oldest;
}
