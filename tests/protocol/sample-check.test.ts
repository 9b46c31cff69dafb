import { describe, expect, it } from 'vitest';
import { Sample } from '../../src/protocol/sample.ts';
import { checkSample } from '../../src/protocol/sample-check.ts';
import { makeSample } from '../rollout/helpers.ts';

const valid = makeSample({ responseTokens: [5, 6, 7], spans: [{ kind: 'sampled', start: 3, end: 6, turn: 0 }] });
const mutations: Array<[string, (s: Record<string, unknown>) => void]> = [
  ['valid as is', () => {}],
  ['negative token', (s) => ((s.tokens as number[])[1] = -1)],
  ['fractional token', (s) => ((s.tokens as number[])[4] = 1.5)],
  ['string token', (s) => ((s.tokens as unknown[])[0] = '1')],
  ['mask value 2', (s) => ((s.lossMask as number[])[0] = 2)],
  ['log-prob null', (s) => ((s.rolloutLogProbs as unknown[])[2] = null)],
  ['mask too short', (s) => (s.lossMask as number[]).pop()],
  ['log-probs too long', (s) => (s.rolloutLogProbs as number[]).push(0)],
  ['responseLength past tokens', (s) => ((s.responseLength = 99), (s.lossMask = new Array(99).fill(1)), (s.rolloutLogProbs = new Array(99).fill(0)))],
  ['responseLength negative', (s) => (s.responseLength = -1)],
  ['span past the end', (s) => ((s.spans as Array<{ end: number }>)[0]!.end = 7)],
  ['span kind unknown', (s) => ((s.spans as Array<{ kind: string }>)[0]!.kind = 'magic')],
  ['unknown status', (s) => (s.status = 'done')],
  ['missing rolloutId', (s) => delete s.rolloutId],
  ['reward a string', (s) => (s.reward = '1')],
  ['tokens not an array', (s) => (s.tokens = 'abc')],
  ['defaults missing', (s) => (delete s.forkIndex, delete s.agent, delete s.rewards, delete s.metadata)],
];

describe('checkSample', () => {
  it.each(mutations)('agrees with the Sample schema: %s', (_name, mutate) => {
    const value = structuredClone(valid) as unknown as Record<string, unknown>;
    mutate(value);
    const zod = Sample.safeParse(value);
    const fast = checkSample(value);
    expect(fast.ok).toBe(zod.success);
    if (fast.ok && zod.success) expect(fast.sample).toEqual(zod.data);
  });

  it('names the bad element', () => {
    const value = structuredClone(valid) as unknown as Record<string, unknown>;
    (value.tokens as number[])[4] = -3;
    expect(checkSample(value)).toEqual({ ok: false, problem: 'tokens.4: expected a non-negative integer, got -3' });
    expect(checkSample(null)).toEqual({ ok: false, problem: 'expected a sample object, got null' });
  });
});
