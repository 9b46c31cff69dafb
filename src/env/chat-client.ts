/**
 * Adapts an OpenAI-compatible chat client (`OpenAiChatClient`) to the `ChatClient` a non-training
 * role uses: an LLM judge or a frozen opponent behind `/v1/chat/completions`. Messages are
 * converted to the OpenAI shape (tool-call arguments as JSON strings) and back.
 */
import type { ChatCompletionRequest, ChatMessageInput, OpenAiChatClient } from '../engine/client/openai-chat-client.ts';
import type { SamplingParams } from '../protocol/sglang-types.ts';
import type { ChatClient } from './agents.ts';
import type { Message } from './types.ts';

function toOpenAi(message: Message): ChatMessageInput {
  const out: ChatMessageInput = { role: message.role, content: message.content };
  if (message.toolCalls?.length)
    out.tool_calls = message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } }));
  if (message.toolCallId !== undefined) out.tool_call_id = message.toolCallId;
  if (message.name !== undefined) out.name = message.name;
  return out;
}

function parseArguments(raw: string): Record<string, unknown> {
  try {
    const value = JSON.parse(raw) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    // Kept as text: the env's tool execution reports it to the role as invalid arguments.
    return { _raw: raw };
  }
}

/** The OpenAI names of the SGLang sampling params that have one. */
function toRequestSampling(sampling: SamplingParams | undefined): Partial<ChatCompletionRequest> {
  const out: Partial<ChatCompletionRequest> = {};
  if (!sampling) return out;
  if (sampling.temperature !== undefined) out.temperature = sampling.temperature;
  if (sampling.top_p !== undefined) out.top_p = sampling.top_p;
  if (sampling.max_new_tokens !== undefined && sampling.max_new_tokens !== null) out.max_tokens = sampling.max_new_tokens;
  if (sampling.stop !== undefined && sampling.stop !== null) out.stop = sampling.stop;
  if (sampling.sampling_seed !== undefined && sampling.sampling_seed !== null) out.seed = sampling.sampling_seed;
  return out;
}

export function chatCompletionsClient(client: Pick<OpenAiChatClient, 'complete'>, extra: Partial<ChatCompletionRequest> = {}): ChatClient {
  return {
    async complete({ messages, tools, sampling }, options = {}) {
      const completion = await client.complete(
        { ...extra, ...toRequestSampling(sampling), messages: messages.map(toOpenAi), ...(tools && tools.length > 0 ? { tools } : {}) },
        options.signal ? { signal: options.signal } : {},
      );
      const choice = completion.choices[0]!.message;
      const message: Message = { role: 'assistant', content: choice.content ?? '' };
      if (choice.reasoning_content) message.reasoningContent = choice.reasoning_content;
      if (choice.tool_calls?.length)
        message.toolCalls = choice.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: parseArguments(call.function.arguments) }));
      return message;
    },
  };
}
