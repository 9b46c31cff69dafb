/**
 * Figures over the samples a step handed out (accepted or discarded): how many, their statuses,
 * the mean reward of those that have one, turns, sampled tokens and forks. Kept as running totals,
 * so a pass over a large dataset never holds its samples. A failed sample is counted, never
 * averaged in as reward 0.
 */
import { isInfrastructureFailure, TRAINABLE_STATUSES, type Sample, type SampleStatus } from '../protocol/sample.ts';

export interface SampleTally {
  count: number;
  statuses: Partial<Record<SampleStatus, number>>;
  /** Samples with a trainable status and a reward: what `rewardMean` averages. */
  rewarded: number;
  /** Mean reward over `rewarded` samples (null when there are none). */
  rewardMean: number | null;
  turnsMean: number;
  /** Sampled (loss-mask 1) tokens across all samples. */
  sampledTokens: number;
  /** Samples that continue a fork (a template rewrote history). */
  forks: number;
  /** Samples with an infrastructure failure (env, sandbox, model, verifier): never in the mean. */
  failed: number;
  /** The first failed sample's status and reason, for a one-line error. */
  firstFailure?: { status: SampleStatus; reason: string };
}

export function emptyTally(): SampleTally {
  return { count: 0, statuses: {}, rewarded: 0, rewardMean: null, turnsMean: 0, sampledTokens: 0, forks: 0, failed: 0 };
}

export function addToTally(tally: SampleTally, sample: Sample): void {
  tally.count++;
  tally.statuses[sample.status] = (tally.statuses[sample.status] ?? 0) + 1;
  if (sample.reward !== null && TRAINABLE_STATUSES.has(sample.status)) {
    tally.rewarded++;
    tally.rewardMean = (tally.rewardMean ?? 0) + (sample.reward - (tally.rewardMean ?? 0)) / tally.rewarded;
  }
  tally.turnsMean += (sample.turns - tally.turnsMean) / tally.count;
  for (const m of sample.lossMask) tally.sampledTokens += m;
  if (sample.forkIndex > 0) tally.forks++;
  if (isInfrastructureFailure(sample.status)) {
    tally.failed++;
    tally.firstFailure ??= { status: sample.status, reason: sample.statusReason ?? '(no reason given)' };
  }
}

/** Failures by status, e.g. `model_error=8`. */
function failureCounts(tally: SampleTally): string {
  return Object.entries(tally.statuses)
    .filter(([status]) => isInfrastructureFailure(status as SampleStatus))
    .map(([status, count]) => `${status}=${count}`)
    .join(' ');
}

/** The reward mean with what it is over, and the failures beside it: `1.000 over 2 scored, 8 failed (model_error=8)`. */
function formatReward(tally: SampleTally): string {
  const mean = tally.rewardMean === null ? 'n/a' : tally.rewardMean.toFixed(3);
  const failed = tally.failed > 0 ? `${tally.failed} failed (${failureCounts(tally)})` : '0 failed';
  return `${mean} over ${tally.rewarded} scored, ${failed}`;
}

/** Three lines: counts, the reward mean beside the failure counts, statuses, tokens and time. */
export function formatTally(tally: SampleTally, seconds: number): string {
  const statuses = Object.entries(tally.statuses)
    .map(([status, count]) => `${status}=${count}`)
    .join(' ');
  const tokensPerSecond = seconds > 0 ? tally.sampledTokens / seconds : 0;
  return [
    `samples: ${tally.count}  reward mean: ${formatReward(tally)}  turns mean: ${tally.turnsMean.toFixed(2)}`,
    `status: ${statuses || '(none)'}`,
    `sampled tokens: ${tally.sampledTokens}  tokens/s: ${tokensPerSecond.toFixed(1)}  forks: ${tally.forks}  time: ${seconds.toFixed(2)} s`,
  ].join('\n');
}
