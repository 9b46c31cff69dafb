import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/protocol/errors.ts';
import type { Sample } from '../../src/protocol/sample.ts';
import type { SampleGenerateHook } from '../../src/rollout/hooks.ts';
import { maskStalePrefix } from '../../src/rollout/off-policy-mask.ts';
import { perSampleGenerate } from '../../src/rollout/per-sample-generate.ts';
import { PromptSource } from '../../src/rollout/prompt-source.ts';
import { RolloutManager, type FinishedGroup, type RolloutManagerOptions } from '../../src/rollout/rollout-manager.ts';
import { makeSample, records, slotIds } from './helpers.ts';

/**
 * A toy policy: each episode samples 4 tokens [10+slot, 20, 21, 22] one by one. Group 1 is slow:
 * after its first 2 tokens it waits, and an abort returns what it has (status aborted, snapshot =
 * tokens so far). Resuming continues from the snapshot. `version` is the engine's weight version.
 */
function toyPolicy(engine: { version: string; calls: Array<{ group: number; slot: number; resumedFrom: number[] | undefined }> }): SampleGenerateHook {
  return async (ctx) => {
    const resumedFrom = ctx.resume?.snapshot as number[] | undefined;
    engine.calls.push({ group: ctx.groupIndex, slot: ctx.slot, resumedFrom });
    const target = [10 + ctx.slot, 20, 21, 22];
    const have = [...(resumedFrom ?? [])];
    const versions = [...(ctx.resume?.samples[0]?.weightVersions ?? [])];
    const mask = [...(ctx.resume?.samples[0]?.lossMask ?? [])];
    const finish = (status: 'completed' | 'aborted') =>
      makeSample({ ...slotIds(ctx), status, reward: status === 'completed' ? ctx.slot % 2 : null, responseTokens: have, lossMask: mask as Array<0 | 1>, weightVersions: versions });
    const slow = ctx.groupIndex === 1 && resumedFrom === undefined;
    versions.push(engine.version);
    while (have.length < target.length) {
      if (slow && have.length === 2) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        return { samples: [finish('aborted')], snapshot: [...have] };
      }
      have.push(target[have.length]!);
      mask.push(1);
    }
    return finish('completed');
  };
}

function setup(extra: Partial<RolloutManagerOptions> = {}) {
  const engine = { version: 'v1', calls: [] as Array<{ group: number; slot: number; resumedFrom: number[] | undefined }> };
  const accepted: FinishedGroup[] = [];
  const discarded: FinishedGroup[] = [];
  const options: RolloutManagerOptions = {
    source: new PromptSource(records(3), { numEpochs: 1 }),
    nSamplesPerPrompt: 2,
    batchSize: 1,
    overSamplingBatchSize: 2,
    generate: perSampleGenerate(toyPolicy(engine)),
    partialRollout: true,
    onGroup: (group) => void accepted.push(group),
    onDiscard: (group) => void discarded.push(group),
    ...extra,
  };
  return { engine, accepted, discarded, options, manager: new RolloutManager(options) };
}

describe('partial rollout', () => {
  it('carries the cut group as JSON and resumes it next step, continuing its tokens, stale part masked', async () => {
    const t = setup({ maskOffPolicyInPartialRollout: true });
    const first = await t.manager.step(0);
    expect(first).toMatchObject({ accepted: 1, aborted: { groups: 1, samples: 2 }, carried: 1 });
    expect(t.accepted[0]!.groupIndex).toBe(0);
    const carried = t.manager.carried[0]!;
    expect(carried).toMatchObject({ groupIndex: 1, startStep: 0, resumes: 0 });
    expect(carried.slots.map((s) => [s.done, s.snapshot, s.samples[0]!.tokens, s.samples[0]!.metadata.startRolloutStep])).toEqual([
      [false, [10, 20], [1, 2, 3, 10, 20], 0],
      [false, [11, 20], [1, 2, 3, 11, 20], 0],
    ]);

    // A fresh manager restored from the JSON state (as after a restart) picks the group up.
    t.engine.version = 'v2';
    const restored = new RolloutManager(t.options);
    restored.restore(JSON.parse(JSON.stringify(t.manager.state())));
    const second = await restored.step(1);
    expect(second).toMatchObject({ accepted: 1, resumed: 1, started: 1, offPolicyMaskedTokens: 4 });
    const resumed = t.accepted[1]!;
    expect(resumed).toMatchObject({ groupIndex: 1, startStep: 0, step: 1 });
    expect(resumed.samples.map((s) => [s.tokens, s.lossMask, s.weightVersions, s.metadata])).toEqual([
      [[1, 2, 3, 10, 20, 21, 22], [0, 0, 1, 1], ['v1', 'v2'], { startRolloutStep: 0, offPolicyMaskedTokens: 2 }],
      [[1, 2, 3, 11, 20, 21, 22], [0, 0, 1, 1], ['v1', 'v2'], { startRolloutStep: 0, offPolicyMaskedTokens: 2 }],
    ]);
    expect(t.engine.calls.filter((c) => c.group === 1).map((c) => c.resumedFrom)).toEqual([undefined, undefined, [10, 20], [11, 20]]);
  });

  it('leaves the loss mask alone without maskOffPolicyInPartialRollout', async () => {
    const t = setup();
    await t.manager.step(0);
    t.engine.version = 'v2';
    const second = await t.manager.step(1);
    expect(second.offPolicyMaskedTokens).toBe(0);
    expect(t.accepted[1]!.samples.map((s) => s.lossMask)).toEqual([
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ]);
  });

  it('does not mask a prefix sampled under the same weight version', async () => {
    const t = setup({ maskOffPolicyInPartialRollout: true });
    await t.manager.step(0);
    const second = await t.manager.step(1);
    expect(second.offPolicyMaskedTokens).toBe(0);
    expect(t.accepted[1]!.samples[0]!.lossMask).toEqual([1, 1, 1, 1]);
  });

  it('regenerates only unfinished slots of a carried group', async () => {
    const engine = { version: 'v1', calls: [] as Array<{ group: number; slot: number; resumedFrom: number[] | undefined }> };
    const policy = toyPolicy(engine);
    const accepted: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(2), { numEpochs: 1 }),
      nSamplesPerPrompt: 2,
      batchSize: 1,
      overSamplingBatchSize: 2,
      partialRollout: true,
      // Slot 0 of group 1 finishes at once; only slot 1 is slow.
      generate: perSampleGenerate((ctx) => (ctx.groupIndex === 1 && ctx.slot === 0 ? policy({ ...ctx, groupIndex: 0 }).then((r) => ({ ...(r as Sample), groupIndex: 1 })) : policy(ctx))),
      onGroup: (group) => void accepted.push(group),
    });
    await manager.step(0);
    expect(manager.carried[0]!.slots.map((s) => s.done)).toEqual([true, false]);
    engine.calls.length = 0;
    await manager.step(1);
    expect(engine.calls).toEqual([{ group: 1, slot: 1, resumedFrom: [11, 20] }]);
    expect(accepted[1]!.samples.map((s) => s.tokens)).toEqual([
      [1, 2, 3, 10, 20, 21, 22],
      [1, 2, 3, 11, 20, 21, 22],
    ]);
  });

  it('a group that finished while the step closed is carried whole and accepted next step without new calls', async () => {
    const generated: number[] = [];
    const scored: number[] = [];
    const accepted: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource(records(2), { numEpochs: 1 }),
      nSamplesPerPrompt: 2,
      batchSize: 1,
      overSamplingBatchSize: 2,
      partialRollout: true,
      generate: perSampleGenerate(async (ctx) => {
        generated.push(ctx.groupIndex);
        // Group 1 only finishes once the step closes, and then completes anyway.
        if (ctx.groupIndex === 1) await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        return makeSample({ ...slotIds(ctx) });
      }),
      rewardSample: (sample) => (scored.push(sample.groupIndex), sample.index % 2),
      onGroup: (group) => void accepted.push(group),
    });
    await manager.step(0);
    expect(manager.carried[0]!.slots.map((s) => s.done)).toEqual([true, true]);
    expect(scored).toEqual([0, 0, 1, 1]);
    generated.length = 0;
    const report = await manager.step(1);
    expect(report).toMatchObject({ accepted: 1, resumed: 1 });
    expect(generated).toEqual([]);
    expect(scored).toEqual([0, 0, 1, 1]);
    expect(accepted[1]!.samples.map((s) => s.reward)).toEqual([0, 1]);
  });

  it('without partial rollout, cut groups are discarded (counted, handed to onDiscard)', async () => {
    const t = setup({ partialRollout: false });
    const report = await t.manager.step(0);
    expect(report).toMatchObject({ aborted: { groups: 1, samples: 2 }, carried: 0 });
    expect(t.manager.carried).toEqual([]);
    expect(t.discarded.map((g) => [g.groupIndex, g.outcome, g.samples.map((s) => s.status)])).toEqual([[1, 'aborted', ['aborted', 'aborted']]]);
  });

  it("the caller's abort ends the step with AbortedError and keeps in-flight groups to resume", async () => {
    const controller = new AbortController();
    const t = setup({
      batchSize: 2,
      generate: perSampleGenerate(async (ctx) => {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        return { samples: [makeSample({ ...slotIds(ctx), status: 'aborted' })], snapshot: { at: 'cut' } };
      }),
    });
    const step = t.manager.step(0, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 5);
    const error = await step.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as Error).message).toBe('rollout step 0 aborted');
    expect(t.manager.carried.map((g) => g.groupIndex)).toEqual([0, 1]);
    expect(t.manager.carried[0]!.slots[0]!.snapshot).toEqual({ at: 'cut' });
  });

  it('rejects a malformed saved state naming the field', () => {
    const t = setup();
    expect(() => t.manager.restore({ version: 1, source: { epoch: 0, offset: 0 }, nextGroupIndex: -1, carried: [] })).toThrow(/nextGroupIndex/);
  });
});

describe('maskStalePrefix', () => {
  const partial = makeSample({ rolloutId: 'a', status: 'aborted', responseTokens: [7, 8], weightVersions: ['v1'] });

  it('masks the partial response length of the matching sample only', () => {
    const resumed = makeSample({ rolloutId: 'a', responseTokens: [7, 8, 9], weightVersions: ['v1', 'v2'] });
    const other = makeSample({ rolloutId: 'b', responseTokens: [7, 8, 9], weightVersions: ['v2'] });
    const { samples, maskedTokens } = maskStalePrefix([partial], [resumed, other]);
    expect(samples.map((s) => s.lossMask)).toEqual([
      [0, 0, 1],
      [1, 1, 1],
    ]);
    expect(maskedTokens).toBe(2);
    expect(resumed.lossMask).toEqual([1, 1, 1]);
  });

  it('leaves a sample alone when it did not continue the partial tokens', () => {
    const restarted = makeSample({ rolloutId: 'a', responseTokens: [6, 8, 9], weightVersions: ['v2'] });
    const otherPrompt = makeSample({ rolloutId: 'a', promptTokens: [1, 2], responseTokens: [3, 7, 8, 9], weightVersions: ['v2'] });
    expect(maskStalePrefix([partial], [restarted]).maskedTokens).toBe(0);
    expect(maskStalePrefix([partial], [otherPrompt]).maskedTokens).toBe(0);
  });

  it('counts already-zero (tool) positions as not masked', () => {
    const resumed = makeSample({ rolloutId: 'a', responseTokens: [7, 8, 9], lossMask: [1, 0, 1], weightVersions: ['v2'] });
    const result = maskStalePrefix([partial], [resumed]);
    expect(result.samples[0]!.lossMask).toEqual([0, 0, 1]);
    expect(result.maskedTokens).toBe(1);
  });
});
