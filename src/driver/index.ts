// The training driver's public API (re-exported from src/index.ts). The worker client lives in
// trainer-client.ts / worker-process.ts; start-worker.ts is loaded only by `physarum train`.
export { Recipe, defineRecipe, type RecipeInput, type EngineConfig, type RoleConfig } from './recipe.ts';
export { openRoleEngines, type RoleEngines } from './role-engines.ts';
export { loadRecipe, parseRecipe, applyOverrides, type LoadedRecipe, type RecipeOverride } from './recipe-load.ts';
export { dryRun, formatDryRun, workerArgv, type DryRun } from './dry-run.ts';
export { runRecipe, type RunOptions, type RunSummary, type StartWorker, type WorkerHandle } from './run.ts';
export { runLoop, type LoopDeps, type LoopSettings, type LoopStart, type LoopResult, type WeightPublisher } from './loop.ts';
export { runSftLoop, type SftDeps, type SftSettings } from './sft-loop.ts';
export { conversationSample, parseConversation, type Conversation } from './sft-samples.ts';
export { evaluate, type EvalOptions, type EvalResult } from './evaluate.ts';
export { stepMetrics, formatStepLine, type PhaseTimes } from './step-metrics.ts';
export { Checkpoints, TrainCursor, RolloutCursor } from './checkpoints.ts';
export { workerInitConfig, type TrainerPort } from './trainer-port.ts';
export { runDemoTraining, type DemoTrainingOptions, type DemoTrainingResult } from './demo-run.ts';
