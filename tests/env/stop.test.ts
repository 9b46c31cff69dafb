import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/protocol/errors.ts';
import { allOf, anyOf, checkStop, hasToolCall, stepCountIs, stopUnless, stopWhen, tokenBudgetIs, type StopState } from '../../src/env/stop.ts';
import type { StepRecord } from '../../src/env/types.ts';

function step(turn: number, toolNames: string[] = []): StepRecord {
  return {
    turn,
    role: 'policy',
    reply: {
      message: { role: 'assistant', content: '', toolCalls: toolNames.map((name, i) => ({ id: `c${i}`, name, arguments: {} })) },
      parseErrors: [],
      finishReason: 'stop',
    },
    observations: [],
    completionTokens: 3,
  };
}
const run = (steps: StepRecord[], totalTokens = 0): StopState => ({ steps, totalTokens, state: {} });

describe('stop conditions', () => {
  it('stepCountIs truncates at exactly n turns', async () => {
    expect(await stepCountIs(2)(run([step(0)]))).toBeUndefined();
    expect(await stepCountIs(2)(run([step(0), step(1)]))).toEqual({ outcome: 'truncated', reason: 'reached the turn limit (2)' });
  });

  it('rejects non-positive limits with a message naming the value', () => {
    expect(() => stepCountIs(0)).toThrow('maxTurns must be a positive integer, got 0');
    expect(() => tokenBudgetIs(1.5)).toThrow('got 1.5');
  });

  it('hasToolCall looks at the last turn only and terminates', async () => {
    expect(await hasToolCall('submit')(run([step(0, ['calc'])]))).toBeUndefined();
    expect(await hasToolCall('submit')(run([step(0, ['calc', 'submit'])]))).toEqual({ outcome: 'terminated', reason: "called tool 'submit'" });
    expect(await hasToolCall('submit')(run([step(0, ['submit']), step(1)]))).toBeUndefined();
    expect(await hasToolCall('submit')(run([]))).toBeUndefined();
  });

  it('tokenBudgetIs fires at the budget, not before', async () => {
    expect(await tokenBudgetIs(100)(run([], 99))).toBeUndefined();
    expect((await tokenBudgetIs(100)(run([], 100)))?.outcome).toBe('truncated');
  });

  it('anyOf returns the first decision in argument order and skips undefined entries', async () => {
    const both = anyOf(undefined, hasToolCall('submit'), stepCountIs(1));
    expect((await both(run([step(0, ['submit'])])))?.outcome).toBe('terminated');
    expect((await both(run([step(0)])))?.outcome).toBe('truncated');
    expect(await anyOf()(run([step(0)]))).toBeUndefined();
  });

  it('allOf needs every condition and is truncated if any part is', async () => {
    const both = allOf(hasToolCall('submit'), tokenBudgetIs(10));
    expect(await both(run([step(0, ['submit'])], 5))).toBeUndefined();
    expect(await both(run([step(0, ['submit'])], 10))).toEqual({
      outcome: 'truncated',
      reason: "called tool 'submit' and reached the token budget (10)",
    });
    expect(() => allOf()).toThrow(InvalidInputError);
  });

  it('custom predicates see the steps and state; stopUnless() inverts', async () => {
    const twoCalcs = stopWhen<{ done?: boolean }>(
      ({ steps, state }) => state.done === true || steps.filter((s) => s.reply.message.toolCalls?.length).length >= 2,
      { outcome: 'terminated', reason: 'enough' },
    );
    expect(await twoCalcs({ steps: [step(0, ['a'])], totalTokens: 0, state: {} })).toBeUndefined();
    expect(await twoCalcs({ steps: [step(0, ['a'])], totalTokens: 0, state: { done: true } })).toEqual({ outcome: 'terminated', reason: 'enough' });
    const notYet = stopUnless(stepCountIs(3), { outcome: 'truncated', reason: 'early' });
    expect(await notYet(run([step(0)]))).toEqual({ outcome: 'truncated', reason: 'early' });
    expect(await checkStop(undefined, run([]))).toBeUndefined();
  });
});
