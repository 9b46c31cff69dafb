// The verdicts of `physarum validate`: a case's `expect` against an episode's samples, and an
// injected infrastructure failure, which must end with its typed status and no reward.
import { describe, expect, it } from 'vitest';
import { Sample } from '../../src/protocol/sample.ts';
import { expectationMiss } from '../../src/rollout/validate/expectation.ts';
import { faultChecks, faultMiss } from '../../src/rollout/validate/fault-verdict.ts';
import { CaseExpectation } from '../../src/rollout/validate/validate-spec.ts';
import { makeSample } from '../buffer/make-sample.ts';

const sample = (overrides: Parameters<typeof makeSample>[1]) => Sample.parse(makeSample(0, overrides));

describe('validate verdicts', () => {
  it('reward expectations: exact within 1e-9, per role, and every role by default', () => {
    const solver = sample({ agent: 'solver', reward: 1 });
    const critic = sample({ agent: 'critic', reward: 0 });
    expect(expectationMiss([solver], { reward: 1 })).toBeUndefined();
    expect(expectationMiss([sample({ reward: 1 - 1e-12 })], { reward: 1 })).toBeUndefined();
    expect(expectationMiss([solver, critic], { reward: 1 })).toBe("expected reward 1, got reward 0 (completed) ('critic')");
    expect(expectationMiss([solver, critic], { reward: 1, role: 'solver' })).toBeUndefined();
    expect(expectationMiss([solver, critic], { rewards: { solver: 1, critic: 0 } })).toBeUndefined();
    expect(expectationMiss([solver], { reward: 1, role: 'judge' })).toBe("expected reward 1 for role 'judge', got no sample of that role (roles: solver)");
    expect(expectationMiss([], { reward: 1 })).toBe('the episode produced no sample');
  });

  it('status expectations: exact, or `failed` for any infrastructure failure', () => {
    const failed = sample({ status: 'model_error', reward: null, statusReason: 'PHYSARUM_ENGINE_HTTP: answered HTTP 503' });
    expect(expectationMiss([failed], { status: 'failed' })).toBeUndefined();
    expect(expectationMiss([failed], { status: 'model_error' })).toBeUndefined();
    expect(expectationMiss([sample({ status: 'truncated', reward: 0 })], { status: 'failed' })).toBe('expected status failed, got reward 0 (truncated)');
    expect(expectationMiss([failed], { reward: 0 })).toBe('expected reward 0, got no reward (model_error: PHYSARUM_ENGINE_HTTP: answered HTTP 503)');
  });

  it('the expect forms are strict: a typo is refused', () => {
    expect(CaseExpectation.safeParse({ reward: 1, rol: 'x' }).success).toBe(false);
    expect(CaseExpectation.safeParse({ status: 'broken' }).success).toBe(false);
    expect(CaseExpectation.safeParse({ rewards: {} }).success).toBe(false);
  });

  it('faults are injected at the second /generate (the first for one-turn episodes); sandboxes only for sandbox envs', () => {
    expect(faultChecks(3, false).map((c) => [c.fault, c.status])).toEqual([
      [{ kind: 'dies', atRequest: 2 }, 'model_error'],
      [{ kind: 'http_503', atRequest: 2 }, 'model_error'],
    ]);
    expect(faultChecks(1, true).map((c) => c.fault)).toEqual([
      { kind: 'dies', atRequest: 1 },
      { kind: 'http_503', atRequest: 1 },
      { kind: 'sandbox_removed', atRequest: 1 },
    ]);
  });

  it('an infrastructure failure that became reward 0 is a miss that says so', () => {
    const [dies] = faultChecks(2, false);
    expect(faultMiss([sample({ status: 'model_error', reward: null })], dies!)).toBeUndefined();
    expect(faultMiss([sample({ status: 'completed', reward: 0 })], dies!)).toBe(
      'the infrastructure failure became reward 0: expected status model_error with no reward, got reward 0 (completed)',
    );
    expect(faultMiss([sample({ status: 'env_error', reward: null, statusReason: 'TypeError: x' })], dies!)).toBe(
      'expected status model_error with no reward, got no reward (env_error: TypeError: x)',
    );
  });
});
