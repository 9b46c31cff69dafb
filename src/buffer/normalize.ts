/**
 * Group reward normalization (slime's `_post_process_rewards`), made status-aware.
 *
 * Who takes part: a sample with a non-null reward whose status is completed, truncated or
 * tool_timeout (a tool the policy chose to call ran out of time: the policy's doing, scored by the
 * rubric). Never: infrastructure failures (env/sandbox/model/verifier_error), reward null, aborted
 * (unfinished: held for partial-rollout resume), or too-stale samples. Those get advantage null
 * and are counted by reason; they never enter a mean as 0.
 *
 * The unit of a group is a rollout: forks of one episode (same rolloutId and agent) share one
 * reward (the last fork's) and one advantage. Multi-agent groups are normalized per agent.
 */
import { isInfrastructureFailure, type Sample } from '../protocol/sample.ts';

export type NormalizationMethod = 'grpo' | 'dr_grpo' | 'reinforce_pp_baseline' | 'none';
export type Exclusion = 'aborted' | 'infrastructure' | 'reward_null' | 'reward_out_of_range' | 'stale';

/**
 * Past this magnitude a reward is excluded (`reward_out_of_range`), not normalized: squares of
 * rewards like ±1e308 overflow the std to Infinity and would silently give the group advantage 0.
 */
export const MAX_ABS_REWARD = 1e12;

export interface GroupFilters {
  /** Drop groups whose trainable rewards are all equal (slime's check_reward_nonzero_std). */
  dropZeroStd?: boolean;
  /** Drop groups with fewer trainable rollouts than this (e.g. when failures ate the group). */
  minTrainable?: number;
}

export type GroupDropReason = 'no_trainable' | 'too_few_trainable' | 'zero_std';

/** slime adds this to the std before dividing. */
export const STD_EPSILON = 1e-6;

export function exclusionOf(sample: Pick<Sample, 'status' | 'reward'>): Exclusion | null {
  if (sample.status === 'aborted') return 'aborted';
  if (isInfrastructureFailure(sample.status)) return 'infrastructure';
  if (sample.reward === null) return 'reward_null';
  if (!(Math.abs(sample.reward) <= MAX_ABS_REWARD)) return 'reward_out_of_range';
  return null;
}

export interface GroupResult {
  /** One entry per input sample, in order; null for excluded samples. */
  advantages: Array<number | null>;
  /** Trainable rollouts (units) in the group. */
  trainableRollouts: number;
  drop: GroupDropReason | null;
}

/** Sample standard deviation (n - 1), as torch's default `std()` that slime calls. */
function sampleStd(values: number[], mean: number): number {
  if (values.length < 2) return 0;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return Math.sqrt(ss / (values.length - 1));
}

/**
 * Advantages for one group. `excluded[i]` marks samples already ruled out (e.g. stale); status and
 * reward exclusions are applied here as well.
 */
export function normalizeGroup(
  samples: readonly Sample[],
  excluded: ReadonlyArray<Exclusion | null>,
  method: NormalizationMethod,
  filters: GroupFilters = {},
): GroupResult {
  // agent -> rolloutId -> { reward of the highest fork seen, sample positions }
  const units = new Map<string, Map<string, { fork: number; reward: number; members: number[] }>>();
  samples.forEach((s, i) => {
    if (excluded[i] ?? exclusionOf(s)) return;
    let byRollout = units.get(s.agent);
    if (!byRollout) units.set(s.agent, (byRollout = new Map()));
    const unit = byRollout.get(s.rolloutId);
    if (!unit) byRollout.set(s.rolloutId, { fork: s.forkIndex, reward: s.reward as number, members: [i] });
    else {
      unit.members.push(i);
      if (s.forkIndex >= unit.fork) Object.assign(unit, { fork: s.forkIndex, reward: s.reward as number });
    }
  });

  const advantages: Array<number | null> = samples.map(() => null);
  let trainableRollouts = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const byRollout of units.values()) {
    const list = [...byRollout.values()];
    trainableRollouts += list.length;
    const rewards = list.map((u) => u.reward);
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    // slime skips the std division when a group has one sample.
    const divisor = method === 'grpo' && rewards.length > 1 ? sampleStd(rewards, mean) + STD_EPSILON : 1;
    for (const u of list) {
      min = Math.min(min, u.reward);
      max = Math.max(max, u.reward);
      const value = method === 'none' ? u.reward : (u.reward - mean) / divisor;
      for (const i of u.members) advantages[i] = value;
    }
  }

  let drop: GroupDropReason | null = null;
  if (trainableRollouts === 0) drop = 'no_trainable';
  else if (filters.minTrainable !== undefined && trainableRollouts < filters.minTrainable) drop = 'too_few_trainable';
  else if (filters.dropZeroStd && max - min <= STD_EPSILON) drop = 'zero_std';
  return { advantages, trainableRollouts, drop };
}

/**
 * REINFORCE++-baseline's second stage (slime requires --normalize-advantages for it): whiten the
 * group-centred values over the batch, weighting each sample by its trainable tokens, since the
 * scalar is broadcast to every masked token. Returns new values; nulls stay null.
 */
export function whitenByTokens(advantages: ReadonlyArray<number | null>, maskedTokens: readonly number[]): Array<number | null> {
  let weight = 0;
  let sum = 0;
  advantages.forEach((a, i) => {
    if (a === null) return;
    weight += maskedTokens[i] ?? 0;
    sum += a * (maskedTokens[i] ?? 0);
  });
  if (weight === 0) return [...advantages];
  const mean = sum / weight;
  let variance = 0;
  advantages.forEach((a, i) => {
    if (a !== null) variance += (maskedTokens[i] ?? 0) * (a - mean) ** 2;
  });
  const scale = 1 / Math.sqrt(variance / weight + 1e-8);
  return advantages.map((a) => (a === null ? null : (a - mean) * scale));
}
