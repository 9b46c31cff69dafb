// The rollout manager's public API (re-exported from src/index.ts). Internal helpers stay out.
export { BUDGET_STAGES, DEFAULT_BUDGET_LIMITS, createBudgets } from './budgets.ts';
export type { BudgetLimits, BudgetStage, ConcurrencyBudgets, StageUsage } from './budgets.ts';
export { parseDataPath, resolveSlice } from './data-path.ts';
export type { DataPath, RowSlice } from './data-path.ts';
export { EngineAbortError, abortWorkers } from './engine-abort.ts';
export { defaultTask, envGroupGenerate } from './env-group-generate.ts';
export type { EnvGroupGenerateOptions, EnvRolloutHooks } from './env-group-generate.ts';
export { envSandboxes } from './env-sandboxes.ts';
export type { EnvSandboxes } from './env-sandboxes.ts';
export { openEnvRun, type EnvRun } from './env-run.ts';
export type { EngineAbort, WorkerAbortFailure } from './engine-abort.ts';
export {
  ZERO_STD_EPSILON,
  applyFilters,
  checkRewardNonzeroStd,
  checkRewardNonzeroStdWithFallback,
  rewardStd,
} from './filters.ts';
export type { DynamicFilter, DynamicFilterOutput, FilterContext } from './filters.ts';
export { RolloutGroup, RolloutSlot } from './group-state.ts';
export { loadHook } from './hooks.ts';
export type {
  GroupGenerateContext,
  GroupGenerateHook,
  GroupRewardHook,
  RewardValue,
  RolloutRewardContext,
  SampleGenerateContext,
  SampleGenerateHook,
  SampleRewardHook,
  SlotOutcome,
  SlotRequest,
  SlotResume,
} from './hooks.ts';
export { maskStalePrefix } from './off-policy-mask.ts';
export { perSampleGenerate } from './per-sample-generate.ts';
export { PromptRecord, promptFromRow, taskFromRow } from './prompt-record.ts';
export type { DatasetKeys } from './prompt-record.ts';
export { readPromptRows } from './prompt-rows.ts';
export type { RawRow } from './prompt-rows.ts';
export { PromptSource, PromptSourceState, readPromptRecords } from './prompt-source.ts';
export type { DrawnPrompt, PromptSourceOptions, ReadRecordsOptions } from './prompt-source.ts';
export { RolloutManager, RolloutManagerState } from './rollout-manager.ts';
export type { FinishedGroup, GroupSink, RolloutManagerOptions } from './rollout-manager.ts';
export { RolloutStepError } from './rollout-errors.ts';
export { rolloutDataset } from './rollout-dataset.ts';
export type { RolloutDatasetOptions, RolloutDatasetResult } from './rollout-dataset.ts';
export { addToTally, emptyTally, formatTally } from './sample-tally.ts';
export type { SampleTally } from './sample-tally.ts';
export { openSamplesFile } from './samples-file.ts';
export type { SamplesFile } from './samples-file.ts';
export { formatCounts, formatReport } from './step-report.ts';
export type { StatusCounts, StepReport } from './step-report.ts';
export { validateEnv } from './validate/validate-env.ts';
export type { CaseOutcome, EnvValidation, ValidateEnvOptions } from './validate/validate-env.ts';
export { ValidateSpec, ValidateCase, CaseExpectation, loadValidateSpec } from './validate/validate-spec.ts';
