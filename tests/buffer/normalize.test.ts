import { describe, expect, it } from 'vitest';
import { Sample, type SampleInput } from '../../src/protocol/sample.ts';
import { exclusionOf, normalizeGroup, whitenByTokens } from '../../src/buffer/normalize.ts';
import { makeGroup, makeSample } from './make-sample.ts';

const parse = (inputs: SampleInput[]) => inputs.map((s) => Sample.parse(s));
const none = (n: number) => Array.from({ length: n }, () => null);

describe('normalizeGroup', () => {
  it('GRPO divides by the sample std (n - 1) plus 1e-6, as slime does', () => {
    // rewards 1,0,0,1: mean 0.5, std sqrt(1/3) = 0.5773503; 0.5 / 0.5773513 = 0.8660239
    const s = parse(makeGroup(0, [1, 0, 0, 1]));
    const r = normalizeGroup(s, none(4), 'grpo');
    expect(r.advantages.map((a) => a!.toFixed(6))).toEqual(['0.866024', '-0.866024', '-0.866024', '0.866024']);
    expect(r.trainableRollouts).toBe(4);
    expect(r.drop).toBeNull();
  });

  it('Dr.GRPO subtracts the mean only', () => {
    expect(normalizeGroup(parse(makeGroup(0, [3, 1, 2])), none(3), 'dr_grpo').advantages).toEqual([1, -1, 0]);
  });

  it('none keeps the raw reward; a group of one gets 0 under GRPO (no std division)', () => {
    expect(normalizeGroup(parse(makeGroup(0, [0.25, 2])), none(2), 'none').advantages).toEqual([0.25, 2]);
    expect(normalizeGroup(parse(makeGroup(0, [0.7])), none(1), 'grpo').advantages).toEqual([0]);
  });

  it('excludes infrastructure failures even when a producer put 0 in their reward', () => {
    const g = makeGroup(0, [1, 0, 0, 1]);
    g[1] = { ...g[1]!, status: 'sandbox_error', reward: null };
    g[2] = { ...g[2]!, status: 'verifier_error', reward: 0 };
    // left: 1, 1 -> mean 1 -> advantages 0; the failures get null, not a negative advantage
    const r = normalizeGroup(parse(g), none(4), 'dr_grpo');
    expect(r.advantages).toEqual([0, null, null, 0]);
    expect(r.trainableRollouts).toBe(2);
  });

  it('the mean and std are over the remaining samples: 1, (env_error), 0, 1', () => {
    const g = makeGroup(0, [1, null, 0, 1]);
    g[1] = { ...g[1]!, status: 'env_error' };
    // mean 2/3, std sqrt(((1/3)^2*2 + (2/3)^2) / 2) = 0.5773503
    const r = normalizeGroup(parse(g), none(4), 'grpo');
    expect(r.advantages.map((a) => (a === null ? null : a.toFixed(5)))).toEqual(['0.57735', null, '-1.15470', '0.57735']);
  });

  it('tool_timeout with a reward takes part; aborted and reward-null do not', () => {
    const g = makeGroup(0, [1, 0, 5, null]);
    g[1] = { ...g[1]!, status: 'tool_timeout' };
    g[2] = { ...g[2]!, status: 'aborted' };
    const s = parse(g);
    expect(s.map(exclusionOf)).toEqual([null, null, 'aborted', 'reward_null']);
    expect(normalizeGroup(s, none(4), 'dr_grpo').advantages).toEqual([0.5, -0.5, null, null]);
  });

  it('honours exclusions passed in (stale) before the statistics', () => {
    const s = parse(makeGroup(0, [4, 2, 0]));
    expect(normalizeGroup(s, [null, null, 'stale'], 'dr_grpo').advantages).toEqual([1, -1, null]);
  });

  it('forks of one rollout are one unit with the last fork’s reward', () => {
    const s = parse([
      makeSample(1, { rolloutId: 'a', forkIndex: 0, reward: 0 }),
      makeSample(2, { rolloutId: 'a', forkIndex: 1, reward: 1 }),
      makeSample(3, { rolloutId: 'b', reward: 0 }),
    ]);
    // units a=1, b=0: mean 0.5
    expect(normalizeGroup(s, none(3), 'dr_grpo').advantages).toEqual([0.5, 0.5, -0.5]);
  });

  it('normalizes each agent of a multi-agent group separately', () => {
    const s = parse([
      makeSample(1, { rolloutId: 'e1', agent: 'solver', reward: 1 }),
      makeSample(2, { rolloutId: 'e1', agent: 'critic', reward: 10 }),
      makeSample(3, { rolloutId: 'e2', agent: 'solver', reward: 0 }),
      makeSample(4, { rolloutId: 'e2', agent: 'critic', reward: 20 }),
    ]);
    expect(normalizeGroup(s, none(4), 'dr_grpo').advantages).toEqual([0.5, -5, -0.5, 5]);
  });

  it('filters: zero std, too few trainable, nothing trainable', () => {
    expect(normalizeGroup(parse(makeGroup(0, [1, 1, 1])), none(3), 'grpo', { dropZeroStd: true }).drop).toBe('zero_std');
    expect(normalizeGroup(parse(makeGroup(0, [1, 1, 1])), none(3), 'grpo').drop).toBeNull();
    expect(normalizeGroup(parse(makeGroup(0, [1, 0, null])), none(3), 'grpo', { minTrainable: 3 }).drop).toBe('too_few_trainable');
    expect(normalizeGroup(parse(makeGroup(0, [null, null])), none(2), 'grpo').drop).toBe('no_trainable');
  });
});

describe('whitenByTokens', () => {
  it('whitens with token weights and leaves nulls alone', () => {
    // weights 3,1: mean (3 - 1)/4 = 0.5; var (3*0.25 + 1*2.25)/4 = 0.75; sqrt = 0.8660254
    const out = whitenByTokens([1, null, -1], [3, 7, 1]);
    expect(out.map((a) => (a === null ? null : a.toFixed(5)))).toEqual(['0.57735', null, '-1.73205']);
  });
});
