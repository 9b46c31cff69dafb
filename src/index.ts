// The public API, by name: what a person writing or running an env imports from 'physarum'.
// Test doubles (scripted server and policy) are in 'physarum/test'; internals stay out. The room
// layout behind these names is docs/architecture.md.

// protocol: errors, the Sample record, SGLang's wire, the trainer-batch wire
export { PhysarumError, InvalidInputError, AbortedError, throwIfAborted, combineSignals, describeAbortReason } from './protocol/errors.ts';
export type { ErrorCode, PhysarumErrorOptions } from './protocol/errors.ts';
export { statusForError, describeError, isAgentCaused } from './protocol/failure-status.ts';
export { Sample, SampleStatus, SAMPLE_SCHEMA_VERSION, TRAINABLE_STATUSES, Span, SpanKind, ToolCallRecord, ChatMessageRecord, isInfrastructureFailure, promptLength } from './protocol/sample.ts';
export type { SampleInput } from './protocol/sample.ts';
export { SAMPLING_PARAM_KEYS } from './protocol/sglang-types.ts';
export type * from './protocol/sglang-types.ts';
export { TRAINER_BATCH_MEDIA_TYPE, WIRE_MAGIC, WIRE_VERSION, MICRO_BATCH_ARRAYS } from './protocol/trainer-batch.ts';
export type { WireDtype, ArrayRef, MicroBatchArrayName, WireMicroBatch, WireHeader } from './protocol/trainer-batch.ts';
export * from './protocol/trainer-rpc.ts';

// chat: tokenizers, chat templates, tool-call parsing, the token ledger
export { loadTokenizer, createTokenizer, TokenizerError } from './chat/tokenizer.ts';
export type { Tokenizer, EncodeMemoOptions } from './chat/tokenizer.ts';
export type { ToolCall, ChatMessage, HfMessage } from './chat/messages.ts';
export { loadChat, loadChatTemplate, TemplateError } from './chat/chat-template.ts';
export type { Chat, ChatTemplate, ChatRenderOptions, LoadChatTemplateOptions } from './chat/chat-template.ts';
export { parseAssistant, splitReasoning } from './chat/tool-call-parser.ts';
export type { ToolCallFormat, ToolCallError, ParsedAssistant, ParserTools, ParseAssistantOptions } from './chat/tool-call-parser.ts';
export { TokenLedger, LedgerError } from './chat/token-ledger.ts';
export type { TokenLedgerOptions, LedgerSegment } from './chat/token-ledger.ts';

// env: envs, tools, stop conditions, rubrics, episodes, multi-agent roles
export { EnvBase, Env, SingleTurnEnv, MultiTurnEnv, ToolEnv } from './env/env.ts';
export { tool, toolSpecs } from './env/tool.ts';
export type { EmitMetric, ToolContext, ToolResult, Tool, ToolSet, ToolSpec } from './env/tool.ts';
export { stopWhen, stepCountIs, hasToolCall, tokenBudgetIs, anyOf, allOf, stopUnless } from './env/stop.ts';
export type { StopState, StopDecision, StopCondition } from './env/stop.ts';
export { rubric, scoreEpisode, scoreGroup } from './env/rubric.ts';
export type { RewardContext, RewardFunction, GroupContext, GroupRewardFunction, WeightedReward, RubricDefinition, Rubric } from './env/rubric.ts';
export { EnvError, VerifierError, ToolTimeoutError, InvalidTaskError } from './env/errors.ts';
export { EngineReplyError } from './env/engine-reply.ts';
export { parseTask } from './env/task.ts';
export type { Message, ToolCallIssue, AssistantReply, StepRecord, EnvContext, StepResult } from './env/types.ts';
export { MultiAgentEnv, POLICY_ROLE, withRoleOverrides } from './env/agents.ts';
export type { GenerateEngine, ChatClient, AgentRole, AgentsStepResult } from './env/agents.ts';
export { chatCompletionsClient } from './env/chat-client.ts';
export { runEpisode } from './env/episode.ts';
export type { RunEpisodeOptions, EpisodeResult } from './env/episode.ts';
export { checkSnapshot, EPISODE_SNAPSHOT_VERSION } from './env/episode-snapshot.ts';
export type { EpisodeSnapshot } from './env/episode-snapshot.ts';
export type { EpisodeLedger, LedgerSegmentLike } from './env/ledger.ts';
export { loadEnv } from './env/load-env.ts';
export type { AnyEnv } from './env/load-env.ts';
export type { SandboxLease, SandboxLeases } from './env/sandbox-lease.ts';
export { checkEnv } from './rollout/check-env.ts';

// tools and sandboxes: the standard tool set (each tool by name under `tools`), Docker sandboxes
export { codingTools, bashTool, pythonTool, viewTool } from '../tools/index.ts';
export type { BashToolOptions, PythonToolOptions, Submission, SandboxToolContext } from '../tools/index.ts';
export * as tools from '../tools/index.ts';
export * from '../sandboxes/index.ts';

// engine: SGLang clients, router, fleet, weight sync, the embedded llama.cpp engine; one string opens any of them
export * from './engine/index.ts';
export * from './engine/embedded/index.ts';
export { openEngine } from './engine/open-engine.ts';
export type { OpenEngineOptions, OpenedEngine } from './engine/open-engine.ts';

// rollout, buffer, view
export * from './rollout/index.ts';
export * from './buffer/index.ts';
export { renderTraceHtml } from './view/trace-html.ts';
export type { TraceHtmlOptions } from './view/trace-html.ts';

// driver: recipes, the training loops, the trainer worker's client
export * from './driver/index.ts';
export { TrainerClient, TrainerError } from './driver/trainer-client.ts';
export type { TrainerClientOptions, TrainerCallOptions, LogprobsResult } from './driver/trainer-client.ts';
export { startTrainerWorker } from './driver/worker-process.ts';
export type { StartTrainerWorkerOptions, TrainerWorker } from './driver/worker-process.ts';
