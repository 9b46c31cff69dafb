/**
 * What happens to a finished group: failure accounting first (infrastructure failures are
 * counted by status and, by default, keep the group out of the step), then the dynamic filters.
 */
import { isInfrastructureFailure, type Sample } from '../protocol/sample.ts';
import { applyFilters, type DynamicFilter } from './filters.ts';
import type { RolloutGroup } from './group-state.ts';
import type { PromptRecord } from './prompt-record.ts';
import { failureStatuses, increment, type StepReport } from './step-report.ts';

/** A finished group as handed to the sink. */
export interface FinishedGroup {
  groupIndex: number;
  prompt: PromptRecord;
  step: number;
  startStep: number;
  /** All samples of the group, slot by slot (forks of a slot stay together). */
  samples: Sample[];
  outcome: 'accepted' | 'filtered' | 'failed' | 'aborted';
  reason?: string;
}

export async function judgeGroup(
  state: RolloutGroup,
  options: { step: number; filters: readonly DynamicFilter[]; report: StepReport },
): Promise<{ group: FinishedGroup; keepWhenInsufficient: boolean }> {
  const { step, report } = options;
  const samples = state.slots.flatMap((slot) => slot.samples);
  // Like slime's metadata["start_rollout_id"]: the step a resumed group's samples were started in.
  if (state.startStep < step) for (const sample of samples) sample.metadata.startRolloutStep = state.startStep;
  const base = { groupIndex: state.groupIndex, prompt: state.prompt, step, startStep: state.startStep, samples };
  const failures = failureStatuses(samples);
  for (const status of failures) increment(report.failedGroups, status);
  for (const sample of samples) if (isInfrastructureFailure(sample.status)) increment(report.failedSamples, sample.status);
  if (failures.length > 0 && report.failedGroupPolicy === 'drop')
    return { group: { ...base, outcome: 'failed', reason: failures.join(',') }, keepWhenInsufficient: false };
  const verdict = await applyFilters(options.filters, samples, { prompt: state.prompt, groupIndex: state.groupIndex, step });
  if (verdict.keep) return { group: { ...base, outcome: 'accepted' }, keepWhenInsufficient: false };
  return { group: { ...base, outcome: 'filtered', reason: verdict.reason }, keepWhenInsufficient: verdict.keepWhenInsufficient ?? false };
}
