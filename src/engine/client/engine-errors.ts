/**
 * Typed failures of calls to inference engines and routers. Every message names the endpoint,
 * the status and the server's own message, whatever envelope the server used (docs/architecture.md, wire §5, §6):
 * native `{"error":{"message"}}`, OpenAI `{"object":"error","message",...}`, router
 * `{"error":{"type","code","message"}}`, auth `{"error":"Unauthorized"}`, FastAPI `{"detail"}`,
 * or plain text.
 */
import { PhysarumError, type PhysarumErrorOptions } from '../../protocol/errors.ts';
import type { SampleStatus } from '../../protocol/sample.ts';

/** Statuses worth repeating the same request for (the router's own retry set). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export interface ErrorEnvelope {
  message: string;
  /** The machine-readable code the server gave, if any (router snake_case codes, OpenAI `type`). */
  code?: string;
}

/** Pull the human message (and code) out of any error body shape SGLang or its router sends. */
export function parseErrorEnvelope(body: string): ErrorEnvelope {
  const text = body.trim();
  if (text === '') return { message: '(empty body)' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { message: text.length > 500 ? `${text.slice(0, 500)}…` : text };
  }
  if (typeof value === 'string') return { message: value };
  if (typeof value !== 'object' || value === null) return { message: text };
  const record = value as Record<string, unknown>;
  const error = record.error;
  if (typeof error === 'string') return { message: error, ...(typeof record.code === 'string' ? { code: record.code } : {}) };
  if (typeof error === 'object' && error !== null) {
    const inner = error as Record<string, unknown>;
    const code = typeof inner.code === 'string' ? inner.code : typeof inner.type === 'string' ? inner.type : undefined;
    return { message: String(inner.message ?? JSON.stringify(inner)), ...(code ? { code } : {}) };
  }
  if (typeof record.message === 'string') return { message: record.message, ...(typeof record.type === 'string' ? { code: record.type } : {}) };
  if (typeof record.detail === 'string') return { message: record.detail };
  return { message: text };
}

/** The server answered with a non-success status. */
export class EngineHttpError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'model_error';
  readonly endpoint: string;
  readonly status: number;
  /** The raw response body, for logs and for callers that need more than the message. */
  readonly body: string;
  readonly serverMessage: string;
  readonly serverCode: string | undefined;

  constructor(endpoint: string, status: number, body: string, options: PhysarumErrorOptions = {}) {
    const envelope = parseErrorEnvelope(body);
    super('PHYSARUM_ENGINE_HTTP', `${endpoint} answered HTTP ${status}: ${envelope.message}`, {
      isRetryable: RETRYABLE_STATUSES.has(status),
      ...options,
    });
    this.endpoint = endpoint;
    this.status = status;
    this.body = body;
    this.serverMessage = envelope.message;
    this.serverCode = envelope.code;
  }
}

/** No HTTP answer at all: refused, reset, DNS, or the socket closed mid-response. */
export class EngineUnreachableError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'model_error';
  readonly endpoint: string;
  constructor(endpoint: string, detail: string, options: PhysarumErrorOptions = {}) {
    super('PHYSARUM_ENGINE_UNREACHABLE', `${endpoint} is unreachable: ${detail}`, { isRetryable: true, ...options });
    this.endpoint = endpoint;
  }
}

/** The per-request deadline passed. A paused SGLang server hangs requests, so this is expected. */
export class EngineTimeoutError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'model_error';
  readonly endpoint: string;
  readonly timeoutMs: number;
  constructor(endpoint: string, timeoutMs: number, options: PhysarumErrorOptions = {}) {
    super('PHYSARUM_ENGINE_TIMEOUT', `${endpoint} did not answer within ${timeoutMs} ms (raise the client's timeoutMs if the engine is slow or paused)`, {
      isRetryable: true,
      ...options,
    });
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }
}
