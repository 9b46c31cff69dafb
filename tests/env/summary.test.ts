import { describe, expect, it } from 'vitest';
import { formatSummary, summarizeSamples } from '../../src/env/summary.ts';
import { Sample } from '../../src/protocol/sample.ts';

const sample = (status: Sample['status'], reward: number | null, mask: Array<0 | 1>, forkIndex = 0) =>
  Sample.parse({
    schemaVersion: 1, index: 0, groupIndex: 0, rolloutId: 'r', forkIndex, prompt: 'p', tokens: [0, ...mask.map(() => 1)], responseLength: mask.length,
    response: '', lossMask: mask, rolloutLogProbs: mask.map(() => 0), reward, status, weightVersions: [], spans: [], turns: 2,
  });

describe('summarizeSamples', () => {
  it('averages rewards over scorable samples only and counts every status', () => {
    const summary = summarizeSamples(
      [sample('completed', 1, [1, 1, 0]), sample('truncated', 0, [1]), sample('model_error', null, []), sample('completed', 0.5, [1], 1)],
      2,
    );
    expect(summary).toEqual({
      samples: 4, rewardMean: 0.5, statusCounts: { completed: 2, truncated: 1, model_error: 1 }, turnsMean: 2, sampledTokens: 4, seconds: 2,
      tokensPerSecond: 2, forks: 1,
    });
    expect(formatSummary(summary)).toBe(
      ['samples: 4  reward mean: 0.500  turns mean: 2.00', 'status: completed=2 truncated=1 model_error=1', 'sampled tokens: 4  tokens/s: 2.0  forks: 1  time: 2.00 s'].join('\n'),
    );
  });

  it('says n/a when nothing was scorable', () => {
    const summary = summarizeSamples([sample('env_error', null, [])], 0);
    expect(summary.rewardMean).toBeNull();
    expect(formatSummary(summary)).toContain('reward mean: n/a');
  });
});
