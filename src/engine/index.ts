// The engine layer's public seam: SGLang wire types, client, scripted server, router, fleet, weight sync.
export * from './sglang-types.ts';
export { validateGenerateRequest, checkSamplingRanges, type ValidationResult, type ValidationFailure } from './sglang-validate.ts';
export { SseWriter, formatSseEvent, parseSseStream, SSE_DONE } from './sse.ts';
export { EngineHttpError, EngineUnreachableError, EngineTimeoutError, parseErrorEnvelope, RETRYABLE_STATUSES, type ErrorEnvelope } from './engine-errors.ts';
export type { CallOptions, TransportOptions } from './http-transport.ts';
export {
  SglangClient,
  asResponseList,
  type SglangClientOptions,
  type GenerateOptions,
  type UpdateWeightsFromDiskOptions,
  type InitWeightsUpdateGroupOptions,
  type UpdateWeightsFromDistributedOptions,
} from './sglang-client.ts';
export { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from './scripted-server.ts';
export { loadScript, parseScript, chooseScriptedReply, ScriptedPolicy, ScriptedEpisode, type ScriptChoice } from './scripted-policy.ts';
export { RouterClient, type AddWorkerOptions, type AddWorkerResult } from './router-client.ts';
export { planFleet, splitPassThroughFlags, flagValue, type FleetPlan, type FleetPlanOptions, type LaunchCommand, type PassThroughFlags } from './fleet-plan.ts';
export { SglangFleet, FleetError, type FleetEngine, type FleetOptions, type EngineState } from './fleet.ts';
export { WeightSync, type WeightSyncOptions, type Bucket } from './weight-sync.ts';
export {
  WeightSyncError,
  staticRotation,
  type WeightSyncReport,
  type EngineRotation,
  type RotationMember,
  type AppliedWeights,
  type EngineFailure,
  type SyncStage,
} from './engine-rotation.ts';
export {
  OpenAiChatClient,
  type OpenAiChatClientOptions,
  type ChatCompletion,
  type ChatCompletionRequest,
  type ChatCompletionChoice,
  type ChatMessageInput,
  type ChatToolSpec,
  type ChatToolCall,
} from './openai-chat-client.ts';
export { fleetOptionsFromFlags, type FleetFlags } from './fleet-flags.ts';
export { routerProblems } from './router-compat.ts';
