/**
 * Choosing a step's groups, inside one commit: staleness first (a too-stale sample is excluded or
 * kept per setting, and counted), then status-aware normalization and the group filters; groups
 * that pass are marked consumed by the step, groups that fail are dropped with their reason.
 */
import { InvalidInputError } from '../protocol/errors.ts';
import type Database from 'better-sqlite3';
import { exclusionOf, normalizeGroup, whitenByTokens, type Exclusion, type GroupFilters, type NormalizationMethod } from './normalize.ts';
import { raeDecay, roleKey, updateBaselines, type AdvantageEstimator, type RoleBaselines } from './role-baseline.ts';
import type { GroupRow, SampleRow, TrainSample } from './rows.ts';
import { decodeStored } from './sample-codec.ts';

/** What taking a batch needs of the Data Buffer (DataBuffer is one; no import back to it). */
export interface BatchSource {
  readonly db: Database.Database;
  readonly options: Readonly<{
    maxWeightLag?: number;
    keepStale?: boolean;
    normalization?: NormalizationMethod;
    filters?: GroupFilters;
    advantage?: AdvantageEstimator;
  }>;
  bumpCounter(name: string, by?: number): void;
}

export interface TakeBatchOptions {
  /** The training step this batch is for: the idempotency key of the take. */
  step: number;
  /** How many groups to take (fewer are returned when fewer are ready). */
  groups: number;
  /** The trainer's current weight version; required when maxWeightLag is set. */
  weightVersion?: number;
}

/** Read-only: only return a step taken before (empty when it never was). Used by dumps. */
export interface ReplayOnly {
  replayOnly?: boolean;
}

export interface TakenGroup {
  id: number;
  groupIndex: number;
  samples: TrainSample[];
}

export interface TakenBatch {
  step: number;
  groups: TakenGroup[];
  /** Samples with an advantage, in group order: what the trainer gets. */
  samples: TrainSample[];
  /** Samples of the taken groups that take no part, with their reason. */
  excluded: TrainSample[];
  /** What this take counted (exclusions, stale, dropped groups); cumulative totals are in `counters()`. */
  counts: Record<string, number>;
  /** True when the step had been taken before and the same groups were returned. */
  replayed: boolean;
  /** RAE only: the per-(env, role) baselines this batch's advantages subtract (keys `env/role`). */
  baselines?: Record<string, number>;
}

export const RAE_BASELINES_KEY = 'rae_baselines';
const raeStepKey = (step: number): string => `rae_baselines@step:${step}`;

/**
 * RAE over a batch whose advantages still hold each rollout's reward: update the role baselines
 * (or, for a replayed step, read the ones it used) and subtract them. Runs inside the take's commit.
 */
function applyRoleBaselines(db: Database.Database, all: TrainSample[], step: number, replayed: boolean, decay: number): Record<string, number> {
  const read = (key: string): RoleBaselines | undefined => {
    const row = db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?').get(key);
    return row ? (JSON.parse(row.value) as RoleBaselines) : undefined;
  };
  let used: RoleBaselines;
  if (replayed) used = read(raeStepKey(step)) ?? {};
  else {
    const units = new Map<string, { key: string; reward: number }>();
    for (const t of all) if (t.advantage !== null) units.set(`${t.sample.rolloutId}\0${t.sample.agent}`, { key: roleKey(t.sample), reward: t.advantage });
    used = updateBaselines(read(RAE_BASELINES_KEY) ?? {}, [...units.values()], decay);
    const write = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    write.run(RAE_BASELINES_KEY, JSON.stringify(used));
    write.run(raeStepKey(step), JSON.stringify(used));
  }
  for (const t of all) if (t.advantage !== null) t.advantage -= used[roleKey(t.sample)]?.value ?? 0;
  return Object.fromEntries(Object.entries(used).map(([key, b]) => [key, b.value]));
}

function isStale(row: SampleRow, weightVersion: number, maxLag: number): boolean {
  if (!row.has_versions) return false;
  // A version that is not an integer has an unknown lag: treated as too stale.
  return row.min_version === null || weightVersion - row.min_version > maxLag;
}

export function takeGroups(buffer: BatchSource, options: TakeBatchOptions & ReplayOnly): TakenBatch {
  const { step, groups: wanted } = options;
  if (!Number.isInteger(step) || step < 0) throw new InvalidInputError(`step must be a non-negative integer, got ${String(step)}`);
  if (!Number.isInteger(wanted) || wanted < 1) throw new InvalidInputError(`groups must be a positive integer, got ${String(wanted)}`);
  const { maxWeightLag, keepStale, normalization = 'grpo', filters } = buffer.options;
  const decay = raeDecay(buffer.options.advantage);
  if (maxWeightLag !== undefined && options.weightVersion === undefined && !options.replayOnly)
    throw new InvalidInputError('takeBatch needs weightVersion because the buffer has maxWeightLag set');
  const db = buffer.db;
  const samplesOf = db.prepare<[number], SampleRow>('SELECT * FROM samples WHERE group_id = ? ORDER BY id');
  const counts: Record<string, number> = {};
  const count = (name: string, by = 1) => void (counts[name] = (counts[name] ?? 0) + by);

  const previous = db.prepare<[number], GroupRow>(`SELECT * FROM groups WHERE step = ? AND state = 'consumed' ORDER BY id`).all(step);
  const replayed = previous.length > 0 || options.replayOnly === true;
  const candidates = replayed
    ? previous
    : // .all(), not .iterate(): better-sqlite3 refuses other statements while an iterator is open.
      db.prepare<[], GroupRow>(`SELECT * FROM groups WHERE state = 'ready' ORDER BY id`).all();
  const markExcluded = db.prepare('UPDATE samples SET excluded = ? WHERE id = ?');
  const consume = db.prepare(`UPDATE groups SET state = 'consumed', step = ? WHERE id = ?`);
  const drop = db.prepare(`UPDATE groups SET state = 'dropped', drop_reason = ?, step = ? WHERE id = ?`);

  const taken: TakenGroup[] = [];
  for (const group of candidates) {
    if (taken.length >= wanted) break;
    const rows = samplesOf.all(group.id);
    const decoded = rows.map((r) => decodeStored(r.meta, r.arrays));
    const samples = decoded.map((d) => d.sample);
    const excluded: Array<Exclusion | null> = rows.map((r, i) => {
      if (replayed) return r.excluded ?? exclusionOf(samples[i]!);
      const own = exclusionOf(samples[i]!);
      if (own === null && maxWeightLag !== undefined && isStale(r, options.weightVersion!, maxWeightLag)) {
        if (keepStale) count('stale_kept');
        else {
          count('stale_dropped');
          markExcluded.run('stale', r.id);
          return 'stale';
        }
      }
      return own;
    });
    // RAE: the group step only picks the trainable rollouts and their rewards; the role baseline is subtracted below.
    const result = normalizeGroup(samples, excluded, decay === undefined ? normalization : 'none', filters);
    if (!replayed) {
      for (const reason of excluded) if (reason) count(`excluded_${reason}`);
      if (result.drop) {
        count(`dropped_${result.drop}`);
        drop.run(result.drop, step, group.id);
        continue;
      }
      consume.run(step, group.id);
      count('consumed_groups');
    }
    taken.push({
      id: group.id,
      groupIndex: group.group_index,
      samples: rows.map((r, i) => ({
        id: r.id,
        groupId: group.id,
        sample: samples[i]!,
        packed: decoded[i]!.packed,
        advantage: result.advantages[i] ?? null,
        excluded: excluded[i] ?? null,
      })),
    });
  }

  const all = taken.flatMap((g) => g.samples);
  let baselines: Record<string, number> | undefined;
  if (decay !== undefined) baselines = applyRoleBaselines(db, all, step, replayed, decay);
  else if (normalization === 'reinforce_pp_baseline') {
    const masked = all.map((t) => t.packed.mask.reduce((a, b) => a + b, 0));
    whitenByTokens(all.map((t) => t.advantage), masked).forEach((a, i) => (all[i]!.advantage = a));
  }
  const samples = all.filter((t) => t.advantage !== null);
  if (!replayed) {
    count('trained_samples', samples.length);
    for (const [name, by] of Object.entries(counts)) buffer.bumpCounter(name, by);
  }
  return { step, groups: taken, samples, excluded: all.filter((t) => t.advantage === null), counts, replayed, ...(baselines ? { baselines } : {}) };
}
