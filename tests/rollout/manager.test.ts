import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandboxes/errors.ts';
import { EngineUnreachableError } from '../../src/engine/client/engine-errors.ts';
import type { Sample } from '../../src/protocol/sample.ts';
import { createBudgets } from '../../src/rollout/budgets.ts';
import { checkRewardNonzeroStd, checkRewardNonzeroStdWithFallback } from '../../src/rollout/filters.ts';
import type { SampleGenerateContext, SampleGenerateHook } from '../../src/rollout/hooks.ts';
import { perSampleGenerate } from '../../src/rollout/per-sample-generate.ts';
import { PromptSource } from '../../src/rollout/prompt-source.ts';
import { RolloutStepError } from '../../src/rollout/rollout-errors.ts';
import { RolloutManager, type FinishedGroup, type RolloutManagerOptions } from '../../src/rollout/rollout-manager.ts';
import { makeSample, records, slotIds, tick } from './helpers.ts';

type Behaviour = 'mixed' | 'zero' | 'hang' | 'sandbox' | 'engine' | 'crash';

/** Stands in for an engine: `abortAll` ends every hanging request, as `/abort_request` would. */
class FakeEngine extends EventTarget {
  aborts = 0;
  abortAll = async (): Promise<void> => {
    this.aborts++;
    this.dispatchEvent(new Event('abort'));
  };
}

/** A per-sample hook whose behaviour is scripted per group index. */
function scripted(
  script: Record<number, Behaviour>,
  log: { calls: SampleGenerateContext[]; abortedSeen: number },
  engine?: FakeEngine,
): SampleGenerateHook {
  return async (ctx) => {
    log.calls.push(ctx);
    const base = { index: ctx.index, groupIndex: ctx.groupIndex, rolloutId: ctx.rolloutId };
    const behaviour = script[ctx.groupIndex] ?? 'hang';
    if (behaviour === 'hang') {
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        engine?.addEventListener('abort', () => resolve(), { once: true });
      });
      log.abortedSeen++;
      return makeSample({ ...base, status: 'aborted', responseTokens: [9] });
    }
    if (behaviour === 'sandbox' && ctx.slot === 1) throw new SandboxError('sandbox_died', 'container died');
    if (behaviour === 'engine' && ctx.slot === 0) throw new EngineUnreachableError('/generate', 'connection refused');
    if (behaviour === 'crash' && ctx.slot === 0) throw new TypeError('env bug');
    return makeSample({ ...base, reward: behaviour === 'zero' ? 1 : ctx.slot % 2 });
  };
}

function harness(
  options: { script: Record<number, Behaviour>; batchSize: number; overSamplingBatchSize?: number; n?: number } & Partial<RolloutManagerOptions>,
) {
  const log = { calls: [] as SampleGenerateContext[], abortedSeen: 0 };
  const accepted: FinishedGroup[] = [];
  const discarded: FinishedGroup[] = [];
  const engine = new FakeEngine();
  const { script, n, ...rest } = options;
  const manager = new RolloutManager({
    source: new PromptSource(records(40)),
    nSamplesPerPrompt: n ?? 4,
    generate: perSampleGenerate(scripted(script, log, engine)),
    filters: [checkRewardNonzeroStd],
    abortEngines: engine.abortAll,
    onGroup: (group) => void accepted.push(group),
    onDiscard: (group) => void discarded.push(group),
    ...rest,
  });
  return { manager, log, accepted, discarded, engineAborts: () => engine.aborts };
}

describe('over-sampling with dynamic filters', () => {
  it('samples another round when drops leave the step short, stops at the target and aborts the rest', async () => {
    // Round 1 (g0..g5): 1 accepted, 3 dropped/failed, 1 still running → 1 + 1 < 3, so round 2 (g6..g11) starts.
    // Round 2: g6 and g8 are accepted, which fills the step while g3, g7, g9, g10, g11 still run.
    const h = harness({
      batchSize: 3,
      overSamplingBatchSize: 6,
      script: { 0: 'zero', 1: 'mixed', 2: 'sandbox', 3: 'hang', 4: 'zero', 5: 'zero', 6: 'mixed', 7: 'hang', 8: 'mixed' },
    });
    const report = await h.manager.step(0);
    expect(report).toMatchObject({
      step: 0,
      target: 3,
      accepted: 3,
      started: 12,
      resumed: 0,
      dropped: { zero_std_1: 3 },
      failedGroups: { sandbox_error: 1 },
      failedSamples: { sandbox_error: 1 },
      aborted: { groups: 5, samples: 20 },
      carried: 0,
      statuses: { completed: 12 },
      exhausted: false,
    });
    expect(h.accepted.map((g) => g.groupIndex).sort((a, b) => a - b)).toEqual([1, 6, 8]);
    expect(h.accepted.every((g) => g.outcome === 'accepted' && g.samples.length === 4)).toBe(true);
    // Every episode still running was ended by the engine abort, sent once: it settled them all.
    expect(h.log.abortedSeen).toBe(20);
    expect(h.engineAborts()).toBe(1);
    // Nothing is lost: dropped, failed and aborted groups all reach onDiscard with their reason.
    const discards = h.discarded.map((g) => `${g.groupIndex}:${g.outcome}:${g.reason}`).sort();
    expect(discards).toEqual(
      ['0:filtered:zero_std_1', '2:failed:sandbox_error', '4:filtered:zero_std_1', '5:filtered:zero_std_1'].concat(
        [3, 7, 9, 10, 11].map((g) => `${g}:aborted:step full`),
      ).sort(),
    );
  });

  it('stamps consecutive group and sample indices, and one rollout id per slot', async () => {
    const h = harness({ batchSize: 2, n: 3, script: { 0: 'mixed', 1: 'mixed' } });
    await h.manager.step(0);
    const samples = h.accepted.flatMap((g) => g.samples).sort((a, b) => a.index - b.index);
    expect(samples.map((s) => [s.groupIndex, s.index, s.rolloutId])).toEqual([
      [0, 0, 'g0-s0'],
      [0, 1, 'g0-s1'],
      [0, 2, 'g0-s2'],
      [1, 3, 'g1-s0'],
      [1, 4, 'g1-s1'],
      [1, 5, 'g1-s2'],
    ]);
  });

  it('cancels episodes through their signal when the engines do not end them in the grace period', async () => {
    const h = harness({ batchSize: 1, overSamplingBatchSize: 3, script: { 0: 'mixed' }, abortEngines: async () => {}, abortGraceMs: 30, abortRepeatMs: 10 });
    const report = await h.manager.step(0);
    expect(report.aborted).toEqual({ groups: 2, samples: 8 });
    expect(h.log.abortedSeen).toBe(8);
  });

  it('records an engine abort failure in the report and still cancels the episodes', async () => {
    const h = harness({
      batchSize: 1,
      overSamplingBatchSize: 2,
      script: { 0: 'mixed' },
      abortEngines: async () => {
        throw new Error('abort_request failed on 1 worker(s): http://w1: HTTP 500');
      },
    });
    const report = await h.manager.step(0);
    expect(report.engineAbortError).toBe('abort_request failed on 1 worker(s): http://w1: HTTP 500');
    expect(report.aborted.groups).toBe(1);
    expect(h.log.abortedSeen).toBe(4);
  });

  it('does not abort anything when the step fills exactly', async () => {
    const h = harness({ batchSize: 2, script: { 0: 'mixed', 1: 'mixed' } });
    const report = await h.manager.step(0);
    expect(report.aborted).toEqual({ groups: 0, samples: 0 });
    expect(h.engineAborts()).toBe(0);
  });

  it('keeps groups marked keepWhenInsufficient instead of sampling another round', async () => {
    const accepted: FinishedGroup[] = [];
    const calls: number[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(10)),
      nSamplesPerPrompt: 2,
      batchSize: 2,
      generate: perSampleGenerate(async (ctx) => (calls.push(ctx.groupIndex), makeSample({ ...slotIds(ctx), reward: 1 }))),
      filters: [checkRewardNonzeroStdWithFallback],
      onGroup: (group) => void accepted.push(group),
    });
    const report = await manager.step(0);
    expect(report).toMatchObject({ accepted: 2, keptWhenInsufficient: 2, dropped: {}, started: 2, statuses: { completed: 4 } });
    expect([...new Set(calls)].sort()).toEqual([0, 1]);
    expect(accepted.every((g) => g.outcome === 'accepted' && g.reason === undefined)).toBe(true);
  });

  it('ends short and says so when the data runs out', async () => {
    const accepted: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(3), { numEpochs: 1 }),
      nSamplesPerPrompt: 2,
      batchSize: 2,
      generate: perSampleGenerate(async (ctx) => makeSample({ ...slotIds(ctx), reward: ctx.groupIndex === 0 ? 1 : ctx.slot })),
      filters: [checkRewardNonzeroStd],
      onGroup: (group) => void accepted.push(group),
    });
    const report = await manager.step(0);
    expect(report).toMatchObject({ accepted: 2, exhausted: false, dropped: { zero_std_1: 1 } });
    const second = await manager.step(1);
    expect(second).toMatchObject({ accepted: 0, started: 0, exhausted: true });
  });

  it('validates its options, naming the bad one', () => {
    const base = { source: new PromptSource(records(2)), nSamplesPerPrompt: 2, batchSize: 2, generate: async () => [], onGroup: () => {} };
    expect(() => new RolloutManager({ ...base, nSamplesPerPrompt: 0 })).toThrow('rollout manager: nSamplesPerPrompt must be a positive integer, got 0');
    expect(() => new RolloutManager({ ...base, overSamplingBatchSize: 1 })).toThrow('overSamplingBatchSize (1) must be at least batchSize (2)');
    expect(() => new RolloutManager({ ...base, maskOffPolicyInPartialRollout: true })).toThrow(/needs partialRollout/);
    expect(() => new RolloutManager({ ...base, rewardSample: () => 1, rewardGroup: () => [] })).toThrow(/not both/);
  });
});

describe('failure accounting', () => {
  it('counts infrastructure failures by status and never turns them into reward 0', async () => {
    const h = harness({ batchSize: 2, script: { 0: 'engine', 1: 'crash', 2: 'sandbox', 3: 'mixed', 4: 'mixed' }, overSamplingBatchSize: 5 });
    const report = await h.manager.step(0);
    expect(report.failedGroups).toEqual({ model_error: 1, env_error: 1, sandbox_error: 1 });
    expect(report.failedSamples).toEqual({ model_error: 1, env_error: 1, sandbox_error: 1 });
    const failed = h.discarded.filter((g) => g.outcome === 'failed');
    expect(failed).toHaveLength(3);
    const failures = failed.flatMap((g) => g.samples).filter((s) => s.status !== 'completed');
    expect(failures.map((s) => [s.status, s.reward, s.statusReason])).toEqual(
      expect.arrayContaining([
        ['model_error', null, 'EngineUnreachableError: /generate is unreachable: connection refused'],
        ['env_error', null, 'TypeError: env bug'],
        ['sandbox_error', null, 'SandboxError: sandbox sandbox_died: container died'],
      ]),
    );
  });

  it('retries the prompt of a failed group as a fresh group, up to retryFailedGroups times', async () => {
    const tries = new Map<string, number>();
    const accepted: FinishedGroup[] = [];
    const discarded: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(2), { numEpochs: 1 }),
      nSamplesPerPrompt: 2,
      batchSize: 2,
      retryFailedGroups: 2,
      generate: perSampleGenerate(async (ctx) => {
        const key = `${ctx.prompt.id}/${ctx.slot}`;
        const n = (tries.get(key) ?? 0) + 1;
        tries.set(key, n);
        // p0 fails twice on slot 0 (a flaky sandbox), then works; p1 always fails.
        if ((ctx.prompt.id === 'p0' && ctx.slot === 0 && n <= 2) || ctx.prompt.id === 'p1') throw new SandboxError('sandbox_died', `try ${n}`);
        return makeSample({ ...slotIds(ctx), reward: ctx.slot });
      }),
      onGroup: (group) => void accepted.push(group),
      onDiscard: (group) => void discarded.push(group),
    });
    const report = await manager.step(0);
    expect(report).toMatchObject({ accepted: 1, retried: 4, started: 2, failedGroups: { sandbox_error: 5 }, exhausted: true });
    expect(accepted.map((g) => [g.prompt.id, g.groupIndex])).toEqual([['p0', 4]]);
    expect(discarded.map((g) => `${g.prompt.id}:${g.outcome}`).sort()).toEqual(['p0:failed', 'p0:failed', 'p1:failed', 'p1:failed', 'p1:failed']);
    expect(tries.get('p1/0')).toBe(3);
    expect(manager.state().retries).toEqual([]);
  });

  it('with failedGroupPolicy "keep", accepts the group with its failures marked', async () => {
    const accepted: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(4)),
      nSamplesPerPrompt: 3,
      batchSize: 1,
      failedGroupPolicy: 'keep',
      generate: perSampleGenerate(scripted({ 0: 'sandbox' }, { calls: [], abortedSeen: 0 })),
      onGroup: (group) => void accepted.push(group),
    });
    const report = await manager.step(0);
    expect(report).toMatchObject({ accepted: 1, failedGroups: { sandbox_error: 1 }, statuses: { completed: 2, sandbox_error: 1 } });
    expect(accepted[0]!.samples.map((s) => s.reward)).toEqual([0, null, 0]);
  });

  it('a reward hook that throws gives verifier_error; a missing reward is a failure too', async () => {
    const discarded: FinishedGroup[] = [];
    const make = (rewardSample?: (s: Sample) => number) =>
      new RolloutManager({
        source: new PromptSource(records(4), { numEpochs: 1 }),
        nSamplesPerPrompt: 2,
        batchSize: 1,
        generate: perSampleGenerate(async (ctx) => makeSample({ ...slotIds(ctx) })),
        rewardSample,
        onGroup: () => {},
        onDiscard: (group) => void discarded.push(group),
      });
    const throwing = await make((s) => {
      if (s.rolloutId.endsWith('s1')) throw new Error('judge timed out');
      return 1;
    }).step(0);
    expect(throwing.failedSamples).toEqual({ verifier_error: 4 });
    expect(discarded[0]!.samples.map((s) => [s.status, s.reward, s.statusReason])).toEqual([
      ['completed', 1, undefined],
      ['verifier_error', null, 'reward: Error: judge timed out'],
    ]);
    discarded.length = 0;
    const unscored = await make().step(0);
    expect(unscored.failedGroups).toEqual({ verifier_error: 4 });
    expect(discarded[0]!.samples[0]!.statusReason).toMatch(/no reward: the generate hook left reward null/);
  });

  it('a group reward hook scores the group once, and a wrong count fails it', async () => {
    const seen: number[] = [];
    let answer: number[] = [0.25, 0.75];
    const accepted: FinishedGroup[] = [];
    const discarded: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(4)),
      nSamplesPerPrompt: 2,
      batchSize: 1,
      generate: perSampleGenerate(async (ctx) => makeSample({ ...slotIds(ctx) })),
      rewardGroup: (samples) => (seen.push(samples.length), answer),
      maxFailedGroupsPerStep: 2,
      onGroup: (group) => void accepted.push(group),
      onDiscard: (group) => void discarded.push(group),
    });
    await manager.step(0);
    expect(seen).toEqual([2]);
    expect(accepted[0]!.samples.map((s) => s.reward)).toEqual([0.25, 0.75]);
    // Every group now fails scoring: the step gives up after maxFailedGroupsPerStep instead of eating the dataset.
    answer = [1];
    const error = await manager.step(1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RolloutStepError);
    expect((error as RolloutStepError).code).toBe('PHYSARUM_ROLLOUT');
    expect((error as RolloutStepError).message).toBe('rollout step 1: 3 groups failed on infrastructure (limit 2): verifier_error=3');
    expect((error as RolloutStepError).report.failedSamples).toEqual({ verifier_error: 6 });
    expect(discarded).toHaveLength(3);
    expect(discarded[0]!.samples[0]!.statusReason).toBe('group reward: VerifierError: group reward returned 1 values for 2 samples');
  });

  it('an invalid sample from a hook fails its slot only, naming the problem', async () => {
    const discarded: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(4), { numEpochs: 1 }),
      nSamplesPerPrompt: 2,
      batchSize: 1,
      generate: perSampleGenerate(async (ctx) =>
        ctx.slot === 0 ? makeSample({ ...slotIds(ctx), reward: 1 }) : ({ ...makeSample({ ...slotIds(ctx), reward: 1 }), lossMask: [1] } as Sample),
      ),
      onGroup: () => {},
      onDiscard: (group) => void discarded.push(group),
    });
    await manager.step(0);
    const bad = discarded[0]!.samples[1]!;
    expect(bad.status).toBe('env_error');
    expect(bad.statusReason).toMatch(/invalid sample for slot 1: sample 0: lossMask has 1 entries, responseLength is 2/);
    expect(discarded[0]!.samples[0]!.status).toBe('completed');
  });

  it('resumes a slot that came back aborted without being asked, then gives up as model_error', async () => {
    const attempts = new Map<number, number>();
    const accepted: FinishedGroup[] = [];
    const discarded: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(4)),
      nSamplesPerPrompt: 1,
      batchSize: 1,
      generate: perSampleGenerate(async (ctx) => {
        const n = (attempts.get(ctx.groupIndex) ?? 0) + 1;
        attempts.set(ctx.groupIndex, n);
        // Group 0 is cut by an engine pause once, then completes; group 1 is always cut.
        const cut = ctx.groupIndex === 1 || (ctx.groupIndex === 0 && n === 1);
        if (ctx.groupIndex === 0 && !cut) expect(ctx.resume?.samples[0]?.status).toBe('aborted');
        if (ctx.groupIndex === 0 && !cut) await tick(5);
        return makeSample({ ...slotIds(ctx), status: cut ? 'aborted' : 'completed', reward: cut ? null : 1 });
      }),
      overSamplingBatchSize: 2,
      onGroup: (group) => void accepted.push(group),
      onDiscard: (group) => void discarded.push(group),
    });
    const report = await manager.step(0);
    expect(attempts.get(1)).toBe(4);
    expect(report.failedGroups).toEqual({ model_error: 1 });
    expect(discarded[0]!.samples[0]!.statusReason).toBe('Error: aborted 4 times without the manager asking');
    expect(accepted.map((g) => g.groupIndex)).toEqual([0]);
  });
});

describe('concurrency budgets', () => {
  it('rejects bad limits and reports usage', () => {
    expect(() => createBudgets({ model: 0 })).toThrow('concurrency budget "model" must be a positive integer, got 0');
    expect(() => createBudgets({ verify: 1.5 })).toThrow(/"verify"/);
    expect(createBudgets({ model: 3 }).usage().model).toEqual({ limit: 3, active: 0, pending: 0 });
  });

  it('hands the same budgets to every hook, and they bound each stage separately', async () => {
    const budgets = createBudgets({ model: 2, verify: 1 });
    let model = 0;
    let maxModel = 0;
    let verify = 0;
    let maxVerify = 0;
    const manager = new RolloutManager({
      source: new PromptSource(records(8)),
      nSamplesPerPrompt: 4,
      batchSize: 3,
      budgets,
      generate: perSampleGenerate(async (ctx) => {
        expect(ctx.budgets).toBe(budgets);
        await ctx.budgets.model(async () => {
          maxModel = Math.max(maxModel, ++model);
          await tick(1);
          model--;
        });
        return makeSample({ ...slotIds(ctx) });
      }),
      rewardSample: async (sample) => {
        maxVerify = Math.max(maxVerify, ++verify);
        await tick(1);
        verify--;
        return sample.index % 2;
      },
      onGroup: () => {},
    });
    expect(manager.budgets).toBe(budgets);
    await manager.step(0);
    expect(maxModel).toBe(2);
    expect(maxVerify).toBe(1);
  });
});
