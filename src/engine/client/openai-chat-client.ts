/**
 * A small client for OpenAI-compatible `/v1/chat/completions` (SGLang's, vLLM's, or a hosted
 * API): for frozen opponents and LLM judges in multi-agent episodes, whose tokens are never
 * trained on. Trainable turns always go through `SglangClient.generate` (token-in/token-out).
 */
import { EngineHttpError } from './engine-errors.ts';
import { EngineTransport, type CallOptions, type TransportOptions } from './http-transport.ts';

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  index?: number;
}

export interface ChatMessageInput {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
}

export interface ChatToolSpec {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface ChatCompletionRequest {
  messages: ChatMessageInput[];
  /** Defaults to the client's `model` option, then "default" (SGLang's name for the served model). */
  model?: string;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string | string[];
  seed?: number;
  tools?: ChatToolSpec[];
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  /** Server-specific extras (e.g. SGLang's `chat_template_kwargs`) pass through unchanged. */
  [key: string]: unknown;
}

export interface ChatCompletionChoice {
  index: number;
  message: { role: 'assistant'; content: string | null; reasoning_content?: string | null; tool_calls?: ChatToolCall[] | null };
  finish_reason: 'stop' | 'length' | 'tool_calls' | 'abort' | 'content_filter' | null;
  matched_stop?: number | string | null;
  logprobs?: unknown;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; [key: string]: unknown };
  metadata?: { weight_version?: string; [key: string]: unknown };
}

export interface OpenAiChatClientOptions extends TransportOptions {
  model?: string;
}

export class OpenAiChatClient {
  private readonly transport: EngineTransport;
  private readonly path: string;
  private readonly model: string;

  /** `baseUrl` is the server root (`http://host:30000`) or its `/v1` root. */
  constructor(baseUrl: string, options: OpenAiChatClientOptions = {}) {
    const root = baseUrl.replace(/\/+$/, '');
    this.transport = new EngineTransport(root, options);
    this.path = root.endsWith('/v1') ? '/chat/completions' : '/v1/chat/completions';
    this.model = options.model ?? 'default';
  }

  /** One non-streaming completion. Safe to retry: nothing on the server changes. */
  async complete(request: ChatCompletionRequest, options: CallOptions = {}): Promise<ChatCompletion> {
    const body = { ...request, model: request.model ?? this.model, stream: false };
    const completion = await this.transport.json<ChatCompletion>({ method: 'POST', path: this.path, body, retry: true }, options);
    if (!completion || !Array.isArray(completion.choices) || completion.choices.length === 0)
      throw new EngineHttpError(`POST ${this.transport.baseUrl}${this.path}`, 200, JSON.stringify({ error: { message: 'the completion has no choices' } }));
    return completion;
  }

  /** The text of the first choice ("" when the model only called tools). */
  async completeText(request: ChatCompletionRequest, options: CallOptions = {}): Promise<string> {
    return (await this.complete(request, options)).choices[0]!.message.content ?? '';
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
