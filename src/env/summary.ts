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

/** Adds samples one at a time, so a long run never has to hold them all. */
export class SummaryAccumulator {
  private count = 0;
  private readonly statusCounts: Partial<Record<SampleStatus, number>> = {};
  private rewardSum = 0;
  private rewarded = 0;
  private turns = 0;
  private sampledTokens = 0;
  private forks = 0;

  add(sample: Sample): void {
    this.count++;
    this.statusCounts[sample.status] = (this.statusCounts[sample.status] ?? 0) + 1;
    if (sample.reward !== null && TRAINABLE_STATUSES.has(sample.status)) {
      this.rewardSum += sample.reward;
      this.rewarded++;
    }
    this.turns += sample.turns;
    for (const m of sample.lossMask) this.sampledTokens += m;
    if (sample.forkIndex > 0) this.forks++;
  }

  result(seconds: number): RolloutSummary {
    return {
      samples: this.count,
      rewardMean: this.rewarded > 0 ? this.rewardSum / this.rewarded : null,
      statusCounts: { ...this.statusCounts },
      turnsMean: this.count > 0 ? this.turns / this.count : 0,
      sampledTokens: this.sampledTokens,
      seconds,
      tokensPerSecond: seconds > 0 ? this.sampledTokens / seconds : 0,
      forks: this.forks,
    };
  }
}

export function summarizeSamples(samples: readonly Sample[], seconds: number): RolloutSummary {
  const accumulator = new SummaryAccumulator();
  for (const sample of samples) accumulator.add(sample);
  return accumulator.result(seconds);
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
