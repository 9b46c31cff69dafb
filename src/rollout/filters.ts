/**
 * Dynamic sampling filters (slime `--dynamic-sampling-filter-path`): decide per finished group
 * whether it enters the step. A filter returns slime's `DynamicFilterOutput(keep, reason,
 * keep_when_insufficient)` shape, or a bare boolean; drops are counted by reason.
 */
import { InvalidInputError } from '../protocol/errors.ts';
import type { Sample } from '../protocol/sample.ts';
import type { PromptRecord } from './prompt-record.ts';

export interface DynamicFilterOutput {
  keep: boolean;
  /** Why the group was dropped; drops are counted under this name (default `filtered`). */
  reason?: string;
  /** Hold a dropped group in reserve and use it rather than sample another round. */
  keepWhenInsufficient?: boolean;
}

export interface FilterContext {
  prompt: PromptRecord;
  groupIndex: number;
  step: number;
}

export type DynamicFilter = (
  samples: Sample[],
  context: FilterContext,
) => DynamicFilterOutput | boolean | Promise<DynamicFilterOutput | boolean>;

/** Std at or below this counts as zero (slime's threshold). */
export const ZERO_STD_EPSILON = 1e-6;

/** Population standard deviation of the non-null rewards (0 for fewer than two). */
export function rewardStd(samples: readonly Sample[]): number {
  const rewards = samples.map((s) => s.reward).filter((r): r is number => r !== null);
  if (rewards.length < 2) return 0;
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  const variance = rewards.reduce((acc, r) => acc + (r - mean) ** 2, 0) / rewards.length;
  return Math.sqrt(variance);
}

/**
 * Drop groups whose rewards are all equal: they give every sample advantage 0 under GRPO, so
 * they cost a training slot and teach nothing. Reason `zero_std_<reward>`, as slime names it.
 */
export const checkRewardNonzeroStd: DynamicFilter = (samples) => {
  if (rewardStd(samples) > ZERO_STD_EPSILON) return { keep: true };
  const first = samples.find((s) => s.reward !== null)?.reward;
  return { keep: false, reason: `zero_std_${first === undefined || first === null ? 'none' : formatReward(first)}` };
};

/** Like `checkRewardNonzeroStd`, but such groups fill the step when dropping them would need another round. */
export const checkRewardNonzeroStdWithFallback: DynamicFilter = (samples, context) => {
  const verdict = checkRewardNonzeroStd(samples, context) as DynamicFilterOutput;
  return verdict.keep ? verdict : { ...verdict, keepWhenInsufficient: true };
};

function formatReward(reward: number): string {
  return Number.isInteger(reward) ? String(reward) : String(Number(reward.toFixed(4)));
}

/** Accept the legacy boolean and check the object shape, naming the filter that broke it. */
export function normalizeFilterOutput(value: unknown, filterName: string): DynamicFilterOutput {
  if (typeof value === 'boolean') return { keep: value };
  if (value !== null && typeof value === 'object' && typeof (value as DynamicFilterOutput).keep === 'boolean') {
    const output = value as DynamicFilterOutput;
    if (output.reason !== undefined && typeof output.reason !== 'string')
      throw new InvalidInputError(`dynamic filter "${filterName}": reason must be a string, got ${typeof output.reason}`);
    return output;
  }
  throw new InvalidInputError(`dynamic filter "${filterName}" returned ${JSON.stringify(value)}; expected a boolean or { keep, reason? }`);
}

/** Run filters in order; the first that drops decides. */
export async function applyFilters(
  filters: readonly DynamicFilter[],
  samples: Sample[],
  context: FilterContext,
): Promise<DynamicFilterOutput> {
  for (const filter of filters) {
    const output = normalizeFilterOutput(await filter(samples, context), filter.name || 'anonymous');
    if (!output.keep) return { ...output, reason: output.reason ?? 'filtered' };
  }
  return { keep: true };
}
