// The engine layer's public seam: SGLang wire types, client, scripted server, router, fleet, weight sync.
export * from '../protocol/sglang-types.ts';
export { validateGenerateRequest, checkSamplingRanges, type ValidationResult, type ValidationFailure } from './server/sglang-validate.ts';
export { SseWriter, formatSseEvent, parseSseStream, SSE_DONE } from './client/sse.ts';
export { EngineHttpError, EngineUnreachableError, EngineTimeoutError, parseErrorEnvelope, RETRYABLE_STATUSES, type ErrorEnvelope } from './client/engine-errors.ts';
export type { CallOptions, TransportOptions } from './client/http-transport.ts';
export {
  SglangClient,
  asResponseList,
  type SglangClientOptions,
  type GenerateOptions,
  type UpdateWeightsFromDiskOptions,
  type InitWeightsUpdateGroupOptions,
  type UpdateWeightsFromDistributedOptions,
} from './client/sglang-client.ts';
export { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from './scripted/server.ts';
export { loadScript, parseScript, chooseScriptedReply, ScriptedReplies, ScriptedPolicy, ScriptedEpisode, type ScriptChoice } from './scripted/policy.ts';
export { RouterClient, type AddWorkerOptions, type AddWorkerResult } from './client/router-client.ts';
export { planFleet, splitPassThroughFlags, flagValue, type FleetPlan, type FleetPlanOptions, type LaunchCommand, type PassThroughFlags } from './fleet/fleet-plan.ts';
export { SglangFleet, FleetError, type FleetEngine, type FleetOptions, type EngineState } from './fleet/fleet.ts';
export { WeightSync, type WeightSyncOptions, type Bucket } from './fleet/weight-sync.ts';
export {
  WeightSyncError,
  staticRotation,
  type WeightSyncReport,
  type EngineRotation,
  type RotationMember,
  type AppliedWeights,
  type EngineFailure,
  type SyncStage,
} from './fleet/engine-rotation.ts';
export {
  OpenAiChatClient,
  type OpenAiChatClientOptions,
  type ChatCompletion,
  type ChatCompletionRequest,
  type ChatCompletionChoice,
  type ChatMessageInput,
  type ChatToolSpec,
  type ChatToolCall,
} from './client/openai-chat-client.ts';
export { fleetOptionsFromFlags, type FleetFlags } from './fleet/fleet-flags.ts';
export { routerProblems } from './client/router-compat.ts';
