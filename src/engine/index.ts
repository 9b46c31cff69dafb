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
  type UpdateWeightsFromDiskOptions,
  type InitWeightsUpdateGroupOptions,
  type UpdateWeightsFromDistributedOptions,
} from './sglang-client.ts';
export { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from './scripted-server.ts';
export { loadScript, parseScript, chooseScriptedReply, ScriptedPolicy, ScriptedEpisode, type ScriptChoice } from './scripted-policy.ts';
