/**
 * Every prompt of a dataset once, through RolloutManager: one step whose batch is the whole
 * dataset, n samples per prompt. Nothing is filtered and failed groups are kept (failures
 * marked, never scored), so every group reaches `onGroup`, aborted ones included. This is what
 * `physarum rollout` and `physarum demo` run; a training driver calls `RolloutManager.step` per
 * step instead.
 */
import { createBudgets, type BudgetLimits } from './budgets.ts';
import type { EnvRolloutHooks } from './env-group-generate.ts';
import type { PromptRecord } from './prompt-record.ts';
import { PromptSource } from './prompt-source.ts';
import { RolloutManager, type GroupSink } from './rollout-manager.ts';
import type { StepReport } from './step-report.ts';

export interface RolloutDatasetOptions extends EnvRolloutHooks {
  records: readonly PromptRecord[];
  /** Samples per prompt: one group each. */
  nSamples: number;
  /** Episodes in flight at once: the `episode` budget, which `envGroupGenerate` runs each episode in; default: no limit. */
  concurrency?: number;
  /** Limits of the other stages (see `createBudgets`). */
  budgets?: Partial<BudgetLimits>;
  /** Every finished group, in completion order. */
  onGroup: GroupSink;
  /** Aborts the episodes; their partial samples still reach `onGroup` (status `aborted`). */
  signal?: AbortSignal;
}

export interface RolloutDatasetResult {
  report: StepReport;
  /** The signal fired: the report covers what was done until then. */
  interrupted: boolean;
}

export async function rolloutDataset(options: RolloutDatasetOptions): Promise<RolloutDatasetResult> {
  const manager = new RolloutManager({
    source: new PromptSource(options.records, { numEpochs: 1 }),
    nSamplesPerPrompt: options.nSamples,
    batchSize: options.records.length,
    generate: options.generate,
    ...(options.rewardGroup ? { rewardGroup: options.rewardGroup } : {}),
    failedGroupPolicy: 'keep',
    // A pass writes what it gets; it never gives up on the data because the infrastructure failed.
    maxFailedGroupsPerStep: Number.POSITIVE_INFINITY,
    budgets: createBudgets({ ...options.budgets, ...(options.concurrency !== undefined ? { episode: options.concurrency } : {}) }),
    onGroup: options.onGroup,
    onDiscard: options.onGroup,
  });
  try {
    return { report: await manager.step(0, options.signal ? { signal: options.signal } : {}), interrupted: false };
  } catch (error) {
    if (options.signal?.aborted && manager.lastReport) return { report: manager.lastReport, interrupted: true };
    throw error;
  }
}
