/**
 * Run summaries over samples: reward mean over scorable samples, status counts, turns and token
 * throughput. Failed samples are counted, never averaged in as 0.
 */
import { TRAINABLE_STATUSES, type Sample, type SampleStatus } from '../protocol/sample.ts';

export interface RolloutSummary {
  samples: number;
  /** Mean reward over samples that have one (null when none do). */
  rewardMean: number | null;
  statusCounts: Partial<Record<SampleStatus, number>>;
  turnsMean: number;
  /** Sampled (trainable) tokens across all samples. */
  sampledTokens: number;
  seconds: number;
  tokensPerSecond: number;
  forks: number;
}

export function summarizeSamples(samples: readonly Sample[], seconds: number): RolloutSummary {
  const statusCounts: Partial<Record<SampleStatus, number>> = {};
  let rewardSum = 0;
  let rewarded = 0;
  let turns = 0;
  let sampledTokens = 0;
  let forks = 0;
  for (const s of samples) {
    statusCounts[s.status] = (statusCounts[s.status] ?? 0) + 1;
    if (s.reward !== null && TRAINABLE_STATUSES.has(s.status)) {
      rewardSum += s.reward;
      rewarded++;
    }
    turns += s.turns;
    for (const m of s.lossMask) sampledTokens += m;
    if (s.forkIndex > 0) forks++;
  }
  return {
    samples: samples.length,
    rewardMean: rewarded > 0 ? rewardSum / rewarded : null,
    statusCounts,
    turnsMean: samples.length > 0 ? turns / samples.length : 0,
    sampledTokens,
    seconds,
    tokensPerSecond: seconds > 0 ? sampledTokens / seconds : 0,
    forks,
  };
}

export function formatSummary(summary: RolloutSummary): string {
  const statuses = Object.entries(summary.statusCounts)
    .map(([status, count]) => `${status}=${count}`)
    .join(' ');
  return [
    `samples: ${summary.samples}  reward mean: ${summary.rewardMean === null ? 'n/a' : summary.rewardMean.toFixed(3)}  turns mean: ${summary.turnsMean.toFixed(2)}`,
    `status: ${statuses || '(none)'}`,
    `sampled tokens: ${summary.sampledTokens}  tokens/s: ${summary.tokensPerSecond.toFixed(1)}  forks: ${summary.forks}  time: ${summary.seconds.toFixed(2)} s`,
  ].join('\n');
}
