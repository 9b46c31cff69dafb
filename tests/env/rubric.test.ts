import { describe, expect, it } from 'vitest';
import { rubric, scoreEpisode, scoreGroup, type RewardContext } from '../../src/env/rubric.ts';
import { VerifierError } from '../../src/env/errors.ts';
import { Sample } from '../../src/protocol/sample.ts';

const ctx = (completion: string): RewardContext => ({
  task: { answer: '4' },
  state: {},
  messages: [],
  steps: [],
  completion,
  role: 'policy',
  status: 'completed',
  sandbox: undefined,
  verificationRoom: () => Promise.reject(new Error('no sandbox')),
  signal: new AbortController().signal,
});

function sample(index: number, reward: number | null, status: Sample['status'] = 'completed'): Sample {
  return Sample.parse({
    schemaVersion: 1, index, groupIndex: 0, rolloutId: `r${index}`, prompt: 'p', tokens: [1, 2], responseLength: 1, response: 'x',
    lossMask: [1], rolloutLogProbs: [-0.5], reward, rewards: reward === null ? {} : { correct: reward }, status, weightVersions: ['0'], spans: [], turns: 1,
  });
}

describe('rubric', () => {
  const r = rubric({
    rewards: { correct: (c) => c.completion.trim() === (c.task as { answer: string }).answer, format: { weight: 0.5, fn: (c) => (c.completion.length < 10 ? 1 : 0) } },
    metrics: { length: (c) => c.completion.length },
  });

  it('sums weighted rewards, keeps metrics at weight 0, counts booleans as 1/0', async () => {
    expect(await scoreEpisode(r, ctx('4'))).toEqual({ reward: 1.5, rewards: { correct: 1, format: 1, length: 1 } });
    expect(await scoreEpisode(r, ctx('five, not four'))).toEqual({ reward: 0, rewards: { correct: 0, format: 0, length: 14 } });
  });

  it('a throwing reward is a VerifierError naming the function, never a 0', async () => {
    const broken = rubric({ rewards: { judge: () => { throw new Error('judge offline'); } } });
    const error = await scoreEpisode(broken, ctx('4')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerifierError);
    expect((error as VerifierError).rewardName).toBe('judge');
    expect((error as VerifierError).message).toBe("reward 'judge' threw: judge offline");
  });

  it('a NaN reward is a verifier failure too', async () => {
    await expect(scoreEpisode(rubric({ rewards: { bad: () => Number.NaN } }), ctx(''))).rejects.toThrow("reward 'bad' returned NaN");
  });

  it('rejects duplicate names and non-finite weights', () => {
    expect(() => rubric({ rewards: { a: () => 1 }, metrics: { a: () => 1 } })).toThrow("the name 'a' is used twice");
    expect(() => rubric({ rewards: { a: { weight: Infinity, fn: () => 1 } } })).toThrow("weight of 'a'");
  });

  it('group rewards see only scorable samples and are added with their weight', async () => {
    const g = rubric({
      rewards: { correct: () => 1 },
      group: { rank: { weight: 2, fn: (samples) => samples.map((s) => (s.reward === Math.max(...samples.map((x) => x.reward ?? 0)) ? 1 : 0)) } },
    });
    const seen: number[] = [];
    const spy = rubric({ rewards: {}, group: { n: { weight: 0, fn: (s) => { seen.push(s.length); return s.map(() => 0); } } } });
    const group = [sample(0, 1), sample(1, 0), sample(2, null, 'model_error')];
    const out = await scoreGroup(g, group, { task: {}, signal: new AbortController().signal });
    expect(out.map((s) => s.reward)).toEqual([3, 0, null]);
    expect(out[0]!.rewards).toEqual({ correct: 1, rank: 1 });
    expect(out[2]).toBe(group[2]);
    await scoreGroup(spy, group, { task: {}, signal: new AbortController().signal });
    expect(seen).toEqual([2]);
  });

  it('a throwing or miscounting group reward marks the shown samples verifier_error', async () => {
    const wrong = rubric({ rewards: {}, group: { g: { weight: 1, fn: () => [1] } } });
    const out = await scoreGroup(wrong, [sample(0, 1), sample(1, 1), sample(2, null, 'aborted')], { task: {}, signal: new AbortController().signal });
    expect(out.map((s) => [s.status, s.reward])).toEqual([['verifier_error', null], ['verifier_error', null], ['aborted', null]]);
    expect(out[0]!.statusReason).toBe("group reward 'g' returned 1 values for 2 samples");
  });
});
