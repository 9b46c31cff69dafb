/**
 * The one HTTP path every engine/router client uses: a keep-alive undici Pool, per-request
 * deadlines, caller AbortSignals that cancel the socket (and so the server-side request), typed
 * errors, and retries with exponential backoff + jitter for calls the caller marks as safe.
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { AbortedError, describeAbortReason, InvalidInputError, PhysarumError } from '../../protocol/errors.ts';
import { EngineHttpError, EngineTimeoutError, EngineUnreachableError } from './engine-errors.ts';

export interface TransportOptions {
  /** Per-request deadline (default 10 minutes: generations can be long, and paused engines hang requests). */
  timeoutMs?: number;
  /** Extra attempts for retry-safe calls on 408/429/5xx and connection errors (default 3). */
  retries?: number;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Keep-alive sockets in the pool (default 64). */
  connections?: number;
  /** First backoff delay; doubles per attempt up to `retryMaxDelayMs` (defaults 100 ms / 5 s). */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** Whether repeating this call is harmless; a function is asked again before every retry. */
  retry: boolean | (() => boolean);
  headers?: Record<string, string>;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface OpenStream {
  status: number;
  body: AsyncIterable<Uint8Array>;
  /** Destroy the socket; safe to call twice. Ends the server-side request like a disconnect does. */
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 600_000;

export class EngineTransport {
  readonly baseUrl: string;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly options: Required<Omit<TransportOptions, 'apiKey'>> & { apiKey?: string };

  constructor(baseUrl: string, options: TransportOptions = {}) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new InvalidInputError(`engine URL '${baseUrl}' is not a valid URL (expected e.g. http://127.0.0.1:30000)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new InvalidInputError(`engine URL '${baseUrl}' must use http or https`);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.options = {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retries: options.retries ?? 3,
      connections: options.connections ?? 64,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 100,
      retryMaxDelayMs: options.retryMaxDelayMs ?? 5_000,
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    };
    // Our own deadlines replace undici's 300 s header/body timeouts, which would cut long generations.
    this.pool = new Pool(url.origin, { connections: this.options.connections, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000 });
  }

  /** Send and read the whole body; a non-2xx status throws `EngineHttpError`. */
  async send(spec: RequestSpec, options: CallOptions = {}): Promise<RawResponse> {
    return this.withRetries(spec, options, async (signal, endpoint) => {
      const res = await this.dispatchBuffered(spec, signal);
      if (res.status < 200 || res.status >= 300) throw new EngineHttpError(endpoint, res.status, res.text);
      return res;
    });
  }

  /** Send and parse JSON; an empty body parses as `null`. */
  async json<T>(spec: RequestSpec, options: CallOptions = {}): Promise<T> {
    const { text } = await this.send(spec, options);
    // (A scan for the first non-space, not trim(), which would copy the whole body.)
    if (!/\S/.test(text)) return null as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new EngineHttpError(`${spec.method} ${spec.path}`, 200, text, { cause: error });
    }
  }

  /** Open a streaming response. Retries happen only before any byte of the body was handed out. */
  async openStream(spec: RequestSpec, options: CallOptions = {}): Promise<OpenStream> {
    return this.withRetries(spec, options, async (signal, endpoint, release) => {
      const res = await this.dispatch(spec, signal);
      if (res.statusCode < 200 || res.statusCode >= 300) throw new EngineHttpError(endpoint, res.statusCode, await res.body.text());
      const keep = release();
      let closed = false;
      const close = (): void => {
        if (closed) return;
        closed = true;
        res.body.destroy();
        keep();
      };
      const body = (async function* () {
        try {
          for await (const chunk of res.body) yield chunk as Uint8Array;
        } catch (error) {
          throw keep.translate(error);
        } finally {
          close();
        }
      })();
      return { status: res.statusCode, body, close };
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private requestOptions(spec: RequestSpec): { method: RequestSpec['method']; path: string; headers: Record<string, string>; body: string | undefined } {
    const headers: Record<string, string> = { ...spec.headers };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.body);
    }
    return { method: spec.method, path: this.prefix + spec.path, headers, body };
  }

  private dispatch(spec: RequestSpec, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    return this.pool.request({ ...this.requestOptions(spec), signal });
  }

  /**
   * A whole response, read through undici's handler interface: the bytes are gathered as they
   * arrive and decoded once, without the stream `request()` wraps every body in, which is most of
   * a small request's client cost. Decoding is `body.text()`'s (UTF-8, a leading BOM dropped).
   */
  private dispatchBuffered(spec: RequestSpec, signal: AbortSignal): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      // Before the request reaches a socket there is nothing to abort yet: it is refused as soon
      // as it gets there (onRequestStart), and the caller is answered now.
      const onAbort = (): void => {
        controller?.abort(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        fail(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      this.pool.dispatch(this.requestOptions(spec), {
        onRequestStart(c) {
          controller = c;
          if (signal.aborted) c.abort(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        },
        onResponseStart(_c, statusCode, responseHeaders) {
          status = statusCode;
          headers = responseHeaders;
        },
        onResponseData(_c, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
          resolve({ status, headers, text: bytes.toString('utf8', bom) });
        },
        onResponseError(_c, error) {
          fail(error);
        },
      });
    });
  }

  /**
   * One attempt = one deadline + the caller's signal. `release` lets a stream keep its deadline and
   * listeners alive after the attempt returns; it hands back a finalizer that also maps errors.
   */
  private async withRetries<T>(
    spec: RequestSpec,
    options: CallOptions,
    attempt: (signal: AbortSignal, endpoint: string, release: () => Finalizer) => Promise<T>,
  ): Promise<T> {
    const endpoint = `${spec.method} ${this.baseUrl}${spec.path}`;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    for (let tryIndex = 0; ; tryIndex++) {
      if (options.signal?.aborted) throw new AbortedError(describeAbortReason(options.signal.reason), { cause: options.signal.reason });
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new Error('deadline'));
      }, timeoutMs);
      const onAbort = (): void => controller.abort(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const translate = (error: unknown): unknown => {
        if (options.signal?.aborted) return new AbortedError(`${endpoint}: ${describeAbortReason(options.signal.reason)}`, { cause: error });
        if (timedOut) return new EngineTimeoutError(endpoint, timeoutMs, { cause: error });
        if (PhysarumError.isInstance(error)) return error;
        return new EngineUnreachableError(endpoint, describeNetworkError(error), { cause: error });
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      let released = false;
      const release = (): Finalizer => {
        released = true;
        return Object.assign(cleanup, { translate });
      };
      try {
        return await attempt(controller.signal, endpoint, release);
      } catch (raw) {
        const error = translate(raw);
        const retryable = PhysarumError.isInstance(error) && error.isRetryable && !(error instanceof EngineTimeoutError);
        const allowed = typeof spec.retry === 'function' ? spec.retry() : spec.retry;
        if (!retryable || !allowed || tryIndex >= this.options.retries) throw error;
        await sleep(this.backoffMs(tryIndex), options.signal);
      } finally {
        if (!released) cleanup();
      }
    }
  }

  private backoffMs(tryIndex: number): number {
    const base = Math.min(this.options.retryMaxDelayMs, this.options.retryBaseDelayMs * 2 ** tryIndex);
    // ±25% jitter so that many clients retrying one restarted engine do not arrive in lockstep.
    return base * (0.75 + Math.random() * 0.5);
  }
}

type Finalizer = (() => void) & { translate(error: unknown): unknown };

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string } | undefined)?.code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

/** Sleep that rejects with AbortedError when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(describeAbortReason(signal.reason)));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError(describeAbortReason(signal?.reason)));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
