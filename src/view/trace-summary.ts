/** The numbers at the top of a trace page: what a set of samples looks like before reading any one. */
import type { Sample } from '../protocol/sample.ts';

export interface TraceSummary {
  samples: number;
  statusCounts: Record<string, number>;
  /** Mean over samples with a reward; null when none has one (infrastructure failures carry null). */
  rewardMean: number | null;
  rewarded: number;
  /** Samples that are forks (forkIndex > 0), and the distinct rollouts they belong to. */
  forks: number;
  rollouts: number;
  turns: number;
  tokens: number;
  agents: string[];
}

export function summarize(samples: readonly Sample[]): TraceSummary {
  const statusCounts: Record<string, number> = {};
  let rewardSum = 0;
  let rewarded = 0;
  let forks = 0;
  let turns = 0;
  let tokens = 0;
  const rollouts = new Set<string>();
  const agents = new Set<string>();
  for (const s of samples) {
    statusCounts[s.status] = (statusCounts[s.status] ?? 0) + 1;
    if (s.reward !== null) {
      rewardSum += s.reward;
      rewarded++;
    }
    if (s.forkIndex > 0) forks++;
    turns += s.turns;
    tokens += s.tokens.length;
    rollouts.add(s.rolloutId);
    agents.add(s.agent);
  }
  return {
    samples: samples.length, statusCounts, rewardMean: rewarded ? rewardSum / rewarded : null, rewarded,
    forks, rollouts: rollouts.size, turns, tokens, agents: [...agents].sort(),
  };
}

/** One line for a terminal: the CLI prints it after writing the page. */
export function formatTraceSummary(s: TraceSummary): string {
  const statuses = Object.entries(s.statusCounts).map(([k, v]) => `${k}=${v}`).join(' ');
  const reward = s.rewardMean === null ? 'n/a' : s.rewardMean.toFixed(3);
  return `samples: ${s.samples}  status: ${statuses || 'none'}  reward mean: ${reward}  forks: ${s.forks}  turns: ${s.turns}  tokens: ${s.tokens}`;
}
