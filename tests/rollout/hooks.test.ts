// Contract tests: the hook signatures (types and the exact context each hook receives) and the
// `module.ts#export` loader. Changing what a hook gets is a breaking change and must fail here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Sample } from '../../src/protocol/sample.ts';
import type { ConcurrencyBudgets } from '../../src/rollout/budgets.ts';
import type { DynamicFilter, DynamicFilterOutput, FilterContext } from '../../src/rollout/filters.ts';
import {
  loadHook,
  type GroupGenerateContext,
  type GroupGenerateHook,
  type GroupRewardHook,
  type RewardValue,
  type RolloutRewardContext,
  type SampleGenerateContext,
  type SampleGenerateHook,
  type SampleRewardHook,
  type SlotOutcome,
} from '../../src/rollout/hooks.ts';
import { perSampleGenerate } from '../../src/rollout/per-sample-generate.ts';
import type { PromptRecord } from '../../src/rollout/prompt-record.ts';
import { PromptSource } from '../../src/rollout/prompt-source.ts';
import { RolloutManager, type FinishedGroup } from '../../src/rollout/rollout-manager.ts';
import * as fixture from './fixtures/hooks.ts';

const hooksFile = 'tests/rollout/fixtures/hooks.ts';
const keys = (value: unknown) => Object.keys(value as object).sort();

describe('hook signatures (types)', () => {
  it('pins every hook type', () => {
    expectTypeOf<SampleGenerateHook>().parameters.toEqualTypeOf<[SampleGenerateContext]>();
    expectTypeOf<SampleGenerateHook>().returns.toEqualTypeOf<Promise<Sample | Sample[] | { samples: Sample[]; snapshot?: unknown }>>();
    expectTypeOf<GroupGenerateHook>().parameters.toEqualTypeOf<[GroupGenerateContext]>();
    expectTypeOf<GroupGenerateHook>().returns.toEqualTypeOf<Promise<SlotOutcome[]>>();
    expectTypeOf<SampleRewardHook>().parameters.toEqualTypeOf<[Sample, RolloutRewardContext]>();
    expectTypeOf<SampleRewardHook>().returns.toEqualTypeOf<Promise<RewardValue> | RewardValue>();
    expectTypeOf<GroupRewardHook>().parameters.toEqualTypeOf<[Sample[], RolloutRewardContext]>();
    expectTypeOf<GroupRewardHook>().returns.toEqualTypeOf<Promise<RewardValue[]> | RewardValue[]>();
    expectTypeOf<DynamicFilter>().parameters.toEqualTypeOf<[Sample[], FilterContext]>();
    expectTypeOf<DynamicFilter>().returns.toEqualTypeOf<DynamicFilterOutput | boolean | Promise<DynamicFilterOutput | boolean>>();
    expectTypeOf<GroupGenerateContext>().toEqualTypeOf<{
      prompt: PromptRecord;
      groupIndex: number;
      step: number;
      signal: AbortSignal;
      budgets: ConcurrencyBudgets;
      n: number;
      slots: GroupGenerateContext['slots'];
    }>();
    expectTypeOf<RolloutRewardContext>().toEqualTypeOf<{ prompt: PromptRecord; groupIndex: number; step: number; signal: AbortSignal }>();
  });
});

describe('hooks loaded from modules', () => {
  it('drives a step with a per-sample generate, a sample reward and a filter loaded by path', async () => {
    const generate = await loadHook<SampleGenerateHook>(`${hooksFile}#generateBySlot`);
    const rewardSample = await loadHook<SampleRewardHook>(`${hooksFile}#rewardLength`);
    const filter = await loadHook<DynamicFilter>(`./${hooksFile}#dropOddGroups`);
    expect(generate).toBe(fixture.generateBySlot);
    const accepted: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource([
        { id: 'a', prompt: 'first', metadata: {} },
        { id: 'b', prompt: 'second', metadata: {} },
        { id: 'c', prompt: 'third', metadata: {} },
      ]),
      nSamplesPerPrompt: 2,
      batchSize: 2,
      overSamplingBatchSize: 3,
      generate: perSampleGenerate(generate),
      rewardSample,
      filters: [filter],
      onGroup: (group) => void accepted.push(group),
    });
    const report = await manager.step(4);
    expect(report).toMatchObject({ accepted: 2, dropped: { odd_group: 1 } });
    expect(accepted.map((g) => g.groupIndex).sort()).toEqual([0, 2]);
    expect(accepted[0]!.samples.map((s) => [s.reward, s.rewards])).toEqual([
      [1, { length: 1 }],
      [2, { length: 2 }],
    ]);

    // What each hook received, key for key.
    const [generateContext] = fixture.calls.generateBySlot![0] as [SampleGenerateContext];
    expect(keys(generateContext)).toEqual(['budgets', 'groupIndex', 'index', 'prompt', 'rolloutId', 'signal', 'slot', 'step']);
    expect(generateContext).toMatchObject({ step: 4, prompt: { id: 'a', prompt: 'first' } });
    expect(generateContext.signal).toBeInstanceOf(AbortSignal);
    const [sample, rewardContext] = fixture.calls.rewardLength![0] as [Sample, RolloutRewardContext];
    expect(sample.status).toBe('completed');
    expect(keys(rewardContext)).toEqual(['groupIndex', 'prompt', 'signal', 'step']);
    const [filterSamples, filterContext] = fixture.calls.dropOddGroups![0] as [Sample[], FilterContext];
    expect(filterSamples).toHaveLength(2);
    expect(keys(filterContext)).toEqual(['groupIndex', 'prompt', 'step']);
  });

  it('drives a step with a group generate and a group reward loaded by path', async () => {
    const generate = await loadHook<GroupGenerateHook>(`${hooksFile}#generateGroup`);
    const rewardGroup = await loadHook<GroupRewardHook>(path.resolve(`${hooksFile}#rewardRank`));
    const accepted: FinishedGroup[] = [];
    const manager = new RolloutManager({
      source: new PromptSource([{ id: 'a', prompt: 'only', metadata: {} }]),
      nSamplesPerPrompt: 3,
      batchSize: 1,
      generate,
      rewardGroup,
      onGroup: (group) => void accepted.push(group),
    });
    await manager.step(0);
    const [context] = fixture.calls.generateGroup!.at(-1) as [GroupGenerateContext];
    expect(keys(context)).toEqual(['budgets', 'groupIndex', 'n', 'prompt', 'signal', 'slots', 'step']);
    expect(context.slots).toEqual([
      { slot: 0, index: 0, rolloutId: 'g0-s0' },
      { slot: 1, index: 1, rolloutId: 'g0-s1' },
      { slot: 2, index: 2, rolloutId: 'g0-s2' },
    ]);
    const [rankSamples, rankContext] = fixture.calls.rewardRank!.at(-1) as [Sample[], RolloutRewardContext];
    expect(rankSamples).toHaveLength(3);
    expect(keys(rankContext)).toEqual(['groupIndex', 'prompt', 'signal', 'step']);
    expect(accepted[0]!.samples.map((s) => s.reward)).toEqual([0, 1, 2]);
  });

  it('uses the default export when no #name is given', async () => {
    expect(await loadHook(hooksFile)).toBe(fixture.generateBySlot);
  });

  it('fails clearly, naming the hook path', async () => {
    await expect(loadHook('tests/rollout/fixtures/absent.ts#x')).rejects.toThrow(/hook "tests\/rollout\/fixtures\/absent\.ts#x": module .*absent\.ts does not exist/);
    await expect(loadHook(`${hooksFile}#nope`)).rejects.toThrow(
      `hook "${hooksFile}#nope": module has no export "nope" (exports: calls, default, dropOddGroups, generateBySlot, generateGroup, notAFunction, rewardLength, rewardRank)`,
    );
    await expect(loadHook(`${hooksFile}#notAFunction`)).rejects.toThrow(`hook "${hooksFile}#notAFunction": export "notAFunction" is a number, not a function`);
    await expect(loadHook(hooksFile, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('aborted: stop');
    await expect(loadHook('#x')).rejects.toThrow('hook "#x": expected "path/to/module.ts#exportName"');
    await expect(loadHook(`${hooksFile}#`)).rejects.toThrow(/expected "path\/to\/module\.ts#exportName"/);
    const dir = mkdtempSync(path.join(tmpdir(), 'physarum-hooks-'));
    writeFileSync(path.join(dir, 'broken.ts'), 'export const x = ;\n');
    await expect(loadHook('broken.ts#x', { baseDir: dir })).rejects.toThrow(/hook "broken\.ts#x": importing .*broken\.ts failed/);
  });
});
