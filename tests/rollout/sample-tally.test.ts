import { describe, expect, it } from 'vitest';
import { Sample } from '../../src/protocol/sample.ts';
import { addToTally, emptyTally, formatTally } from '../../src/rollout/sample-tally.ts';

const sample = (status: Sample['status'], reward: number | null, mask: Array<0 | 1>, forkIndex = 0, turns = 2, statusReason?: string) =>
  Sample.parse({
    ...(statusReason ? { statusReason } : {}),
    schemaVersion: 1, index: 0, groupIndex: 0, rolloutId: 'r', forkIndex, prompt: 'p', tokens: [0, ...mask.map(() => 1)], responseLength: mask.length,
    response: '', lossMask: mask, rolloutLogProbs: mask.map(() => 0), reward, status, weightVersions: [], spans: [], turns,
  });

describe('sample tally', () => {
  it('averages rewards over scorable samples only and counts every status', () => {
    const tally = emptyTally();
    for (const s of [sample('completed', 1, [1, 1, 0]), sample('truncated', 0, [1], 0, 4), sample('model_error', null, [], 0, 2, 'HTTP 400: token id 151644 outside the vocabulary'), sample('completed', 0.5, [1], 1)]) addToTally(tally, s);
    expect(tally).toEqual({
      count: 4, rewarded: 3, rewardMean: 0.5, statuses: { completed: 2, truncated: 1, model_error: 1 }, turnsMean: 2.5, sampledTokens: 4, forks: 1,
      failed: 1, firstFailure: { status: 'model_error', reason: 'HTTP 400: token id 151644 outside the vocabulary' },
    });
    expect(formatTally(tally, 2)).toBe(
      ['samples: 4  reward mean: 0.500 over 3 scored, 1 failed (model_error=1)  turns mean: 2.50', 'status: completed=2 truncated=1 model_error=1', 'sampled tokens: 4  tokens/s: 2.0  forks: 1  time: 2.00 s'].join('\n'),
    );
  });

  it('says n/a when nothing was scorable', () => {
    const tally = emptyTally();
    addToTally(tally, sample('env_error', null, []));
    expect(tally.rewardMean).toBeNull();
    expect(formatTally(tally, 0)).toContain('reward mean: n/a over 0 scored, 1 failed (env_error=1)');
    expect(formatTally(emptyTally(), 0)).toContain('status: (none)');
  });

  it('a run where most samples fail shows the mean of the few scored with the failures in the same line', () => {
    const tally = emptyTally();
    addToTally(tally, sample('completed', 1, [1]));
    for (let i = 0; i < 9; i++) addToTally(tally, sample('model_error', null, []));
    const first = formatTally(tally, 1).split('\n')[0]!;
    expect(first).toContain('reward mean: 1.000 over 1 scored, 9 failed (model_error=9)');
  });
});
