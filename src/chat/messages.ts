/**
 * Chat messages as physarum passes them around (camelCase), and their conversion to the dict form
 * Hugging Face chat templates read (`reasoning_content`, `tool_calls[].function`, `tool_call_id`).
 */
import { PhysarumError } from '../protocol/errors.ts';

/** The OpenAI-style function spec that chat templates render into the system prompt. */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** The assistant's reasoning (the text inside `<think>…</think>`), kept apart from `content`. */
  reasoningContent?: string;
  toolCalls?: ToolCall[];
  /** For `tool` messages: the id of the call this message answers. */
  toolCallId?: string;
  /** For `tool` messages: the tool's name. */
  name?: string;
}

/** One message in the shape `transformers.apply_chat_template` hands to the template. */
export type HfMessage = Record<string, unknown>;

/**
 * HF form of a message. Keys are present only when the message has them, because templates test
 * `is defined` (Qwen3 reads `reasoning_content` only when defined and not none).
 */
export function toHfMessage(message: ChatMessage): HfMessage {
  const out: HfMessage = { role: message.role, content: message.content };
  if (message.reasoningContent !== undefined) out.reasoning_content = message.reasoningContent;
  if (message.toolCalls && message.toolCalls.length > 0) {
    out.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  if (message.toolCallId !== undefined) out.tool_call_id = message.toolCallId;
  if (message.name !== undefined) out.name = message.name;
  return out;
}

class DeepValue extends PhysarumError {
  constructor() {
    super('PHYSARUM_INVALID_INPUT', 'message nests deeper than 64 levels');
  }
}

/**
 * A deep copy of plain data: arrays and plain objects copied, primitives kept. Anything else (a
 * Date, a Map, a class instance) goes through structuredClone, so the result equals
 * structuredClone's; plain JSON-shaped data, which is what messages hold, skips its serialization.
 */
function clonePlain(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  // Deep nesting may be a cycle, which only structuredClone copies faithfully.
  if (depth > 64) throw new DeepValue();
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      // structuredClone keeps holes; a plain loop would turn them into undefined.
      if (!(i in value)) return structuredClone(value);
      out[i] = clonePlain(value[i], depth + 1);
    }
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = clonePlain((value as Record<string, unknown>)[key], depth + 1);
  return out;
}

/** A deep copy, so a ledger's history cannot be changed behind its back by the caller. */
export function cloneMessage(message: ChatMessage): ChatMessage {
  try {
    return clonePlain(message) as ChatMessage;
  } catch (error) {
    if (error instanceof DeepValue) return structuredClone(message);
    throw error;
  }
}
