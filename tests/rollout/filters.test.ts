import { describe, expect, it } from 'vitest';
import {
  applyFilters,
  checkRewardNonzeroStd,
  checkRewardNonzeroStdWithFallback,
  normalizeFilterOutput,
  rewardStd,
  type FilterContext,
} from '../../src/rollout/filters.ts';
import { makeSample } from './helpers.ts';

const context: FilterContext = { prompt: { id: 'p', prompt: 'p', metadata: {} }, groupIndex: 0, step: 0 };
const group = (...rewards: Array<number | null>) => rewards.map((reward) => makeSample({ reward, status: reward === null ? 'sandbox_error' : 'completed' }));

describe('rewardStd', () => {
  it('is the population std of non-null rewards (hand-computed)', () => {
    // rewards 1,0,0,1: mean 0.5, every deviation 0.5 → std 0.5
    expect(rewardStd(group(1, 0, 0, 1))).toBeCloseTo(0.5, 12);
    // rewards 2,4,4,4,5,5,7,9: the textbook example, std exactly 2
    expect(rewardStd(group(2, 4, 4, 4, 5, 5, 7, 9))).toBeCloseTo(2, 12);
    // 1,0,0: mean 1/3, variance (4/9 + 1/9 + 1/9)/3 = 2/9
    expect(rewardStd(group(1, 0, 0))).toBeCloseTo(Math.sqrt(2 / 9), 12);
    // nulls (failed samples) are left out: 1, null, 1 → std 0
    expect(rewardStd(group(1, null, 1))).toBe(0);
    expect(rewardStd(group(0.3))).toBe(0);
  });
});

describe('checkRewardNonzeroStd', () => {
  it('keeps groups whose rewards differ', () => {
    expect(checkRewardNonzeroStd(group(1, 0, 1, 1), context)).toEqual({ keep: true });
  });

  it('drops all-equal groups with the reward in the reason', () => {
    expect(checkRewardNonzeroStd(group(1, 1, 1, 1), context)).toEqual({ keep: false, reason: 'zero_std_1' });
    expect(checkRewardNonzeroStd(group(0, 0), context)).toEqual({ keep: false, reason: 'zero_std_0' });
    expect(checkRewardNonzeroStd(group(0.25, 0.25), context)).toEqual({ keep: false, reason: 'zero_std_0.25' });
  });

  it('treats a spread at the 1e-6 threshold as zero and just above it as non-zero', () => {
    // two rewards a, a+2d have std d
    expect(checkRewardNonzeroStd(group(0.5, 0.5 + 2e-6 - 1e-12), context)).toMatchObject({ keep: false });
    expect(checkRewardNonzeroStd(group(0.5, 0.5 + 2.2e-6), context)).toEqual({ keep: true });
  });

  it('the fallback variant marks drops as usable when the step runs short', () => {
    expect(checkRewardNonzeroStdWithFallback(group(1, 1), context)).toEqual({ keep: false, reason: 'zero_std_1', keepWhenInsufficient: true });
    expect(checkRewardNonzeroStdWithFallback(group(1, 0), context)).toEqual({ keep: true });
  });
});

describe('filter outputs', () => {
  it('accepts the legacy boolean and the object shape', () => {
    expect(normalizeFilterOutput(true, 'f')).toEqual({ keep: true });
    expect(normalizeFilterOutput(false, 'f')).toEqual({ keep: false });
    expect(normalizeFilterOutput({ keep: false, reason: 'too_long' }, 'f')).toEqual({ keep: false, reason: 'too_long' });
  });

  it('rejects anything else, naming the filter', () => {
    expect(() => normalizeFilterOutput(undefined, 'myFilter')).toThrow('dynamic filter "myFilter" returned undefined; expected a boolean or { keep, reason? }');
    expect(() => normalizeFilterOutput({ keep: 'yes' }, 'f')).toThrow(/returned \{"keep":"yes"\}/);
    expect(() => normalizeFilterOutput({ keep: false, reason: 3 }, 'f')).toThrow(/reason must be a string, got number/);
  });

  it('runs filters in order; the first drop decides and unnamed drops read "filtered"', async () => {
    const calls: string[] = [];
    const a = () => (calls.push('a'), true);
    const b = async () => (calls.push('b'), false);
    const c = () => (calls.push('c'), { keep: false, reason: 'c' });
    expect(await applyFilters([a, b, c], group(1, 0), context)).toEqual({ keep: false, reason: 'filtered' });
    expect(calls).toEqual(['a', 'b']);
    expect(await applyFilters([], group(1, 1), context)).toEqual({ keep: true });
  });
});
