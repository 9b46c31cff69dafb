/**
 * The records an episode accumulates, shared by envs, stop conditions and rubrics. Messages are the
 * chat module's `ChatMessage` (assignable to the protocol's `ChatMessageRecord`).
 */
import type { ChatMessage } from '../chat/messages.ts';
import type { EmitMetric } from './tool.ts';

export type Message = ChatMessage;

/** A tool call the parser could not turn into a valid call (shown to the model as a tool error). */
export interface ToolCallIssue {
  kind: string;
  message: string;
  toolCallId?: string;
}

/** What one model turn produced, as the env sees it. */
export interface AssistantReply {
  message: Message;
  /** Malformed tool calls found while parsing the reply. */
  parseErrors: ToolCallIssue[];
  /** The engine's finish reason: 'stop', 'length' or 'abort'. */
  finishReason: string;
}

/** One finished turn: the reply and what the env answered. */
export interface StepRecord {
  turn: number;
  /** The role that spoke ("policy" in single-agent episodes). */
  role: string;
  reply: AssistantReply;
  /** Messages the env appended after the reply (tool results, user turns). */
  observations: Message[];
  /** Tokens sampled in this turn. */
  completionTokens: number;
}

/** Passed to every env hook. `state` is the episode's mutable, JSON-serializable state. */
export interface EnvContext<TTask = unknown, TState = Record<string, unknown>, TSandbox = unknown> {
  readonly task: TTask;
  state: TState;
  sandbox: TSandbox | undefined;
  signal: AbortSignal;
  /** Zero-based index of the current model turn. */
  turn: number;
  /** Every finished turn so far. */
  steps: readonly StepRecord[];
  emit: EmitMetric;
}

/** What `Env.step` returns (Gymnasium's split: terminated = the task reached its end; truncated = cut short). */
export interface StepResult {
  /** Non-trainable messages to append: tool results, user replies. */
  messages?: Message[];
  terminated?: boolean;
  truncated?: boolean;
  /** Why the episode ended, in words (kept as the sample's statusReason when truncated). */
  reason?: string;
}
