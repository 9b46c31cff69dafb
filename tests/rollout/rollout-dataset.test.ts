// One pass over a dataset through the manager: every group reaches onGroup (failed ones kept), the
// `episode` budget bounds the episodes in flight, and an interrupt still reports what was done.
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandboxes/errors.ts';
import type { Sample } from '../../src/protocol/sample.ts';
import { perSampleGenerate } from '../../src/rollout/per-sample-generate.ts';
import { rolloutDataset } from '../../src/rollout/rollout-dataset.ts';
import { formatReport } from '../../src/rollout/step-report.ts';
import { makeSample, records, slotIds, tick } from './helpers.ts';

describe('rolloutDataset', () => {
  it('hands every group to onGroup, failures kept and counted, with at most `concurrency` episodes in flight', async () => {
    let active = 0;
    let peak = 0;
    // A hook honours the `episode` budget as envGroupGenerate does: each episode inside it.
    const generate = perSampleGenerate((ctx) =>
      ctx.budgets.episode(async () => {
        active++;
        peak = Math.max(peak, active);
        await tick(2);
        active--;
        if (ctx.groupIndex === 2 && ctx.slot === 0) throw new SandboxError('sandbox_died', 'container gone');
        return makeSample({ ...slotIds(ctx), reward: ctx.slot, turns: 2 });
      }),
    );
    const seen: Sample[] = [];
    const { report, interrupted } = await rolloutDataset({ records: records(5), nSamples: 3, concurrency: 4, generate, onGroup: (g) => void seen.push(...g.samples) });
    expect(interrupted).toBe(false);
    expect(peak).toBe(4);
    expect(seen).toHaveLength(15);
    expect(new Set(seen.map((s) => s.rolloutId)).size).toBe(15);
    expect(report).toMatchObject({ accepted: 5, target: 5, failedGroups: { sandbox_error: 1 }, failedGroupPolicy: 'keep' });
    expect(report.samples).toMatchObject({ count: 15, statuses: { completed: 14, sandbox_error: 1 }, rewarded: 14, turnsMean: expect.any(Number) });
    // Rewards 0,1,2 per group, group 2 without its slot 0: (5*3 - 0) / 14.
    expect(report.samples.rewardMean).toBeCloseTo(15 / 14);
    expect(formatReport(report)).toMatch(/^step 0: accepted 5\/5, .*failed sandbox_error=1.*\nsamples: 15 {2}reward mean: 1\.071 .*\nstatus: completed=14 sandbox_error=1\n/);
  });

  it('on interrupt, the episodes in flight still reach onGroup as aborted samples and the report covers them', async () => {
    const controller = new AbortController();
    const generate = perSampleGenerate(async (ctx) => {
      if (ctx.groupIndex === 0) return makeSample({ ...slotIds(ctx), reward: 1 });
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      return makeSample({ ...slotIds(ctx), status: 'aborted', statusReason: 'interrupted' });
    });
    const seen: Sample[] = [];
    const run = rolloutDataset({ records: records(3), nSamples: 2, generate, onGroup: (g) => void seen.push(...g.samples), signal: controller.signal });
    await tick(5);
    controller.abort(new Error('stop'));
    const { report, interrupted } = await run;
    expect(interrupted).toBe(true);
    expect(seen).toHaveLength(6);
    expect(report.accepted).toBe(1);
    expect(report.aborted).toEqual({ groups: 2, samples: 4 });
    expect(report.samples.statuses).toEqual({ completed: 2, aborted: 4 });
  });
});
