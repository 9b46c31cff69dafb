/**
 * Server-Sent Events as SGLang speaks them (docs/architecture.md, wire §1.5): every event is exactly
 * `data: <compact JSON>\n\n`, with no `event:`/`id:` lines, and the stream ends `data: [DONE]\n\n`.
 * The writer is shared by every server that mimics SGLang; the parser reads any spec-valid stream.
 */
import type { ServerResponse } from 'node:http';

export const SSE_DONE = 'data: [DONE]\n\n';

/** One event. JSON.stringify is compact and, like orjson, writes NaN/±Infinity as null. */
export function formatSseEvent(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** Writes an SSE response; safe to call after the client went away (writes become no-ops). */
export class SseWriter {
  private started = false;

  constructor(private readonly res: ServerResponse) {}

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  start(status = 200): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // Send the header now: clients must see the 200 before the first token (upstream does the same).
    this.res.flushHeaders();
  }

  send(data: unknown): void {
    this.start();
    if (!this.closed) this.res.write(formatSseEvent(data));
  }

  /** Ends the stream with `[DONE]`. */
  done(): void {
    this.start();
    if (!this.closed) this.res.end(SSE_DONE);
  }

  /** An error after the header went out: one error event, then `[DONE]` (the current upstream shape). */
  error(message: string, code = 400): void {
    this.send({ error: { message, type: code >= 500 ? 'internal_server_error' : 'invalid_request_error', code, retryable: code >= 500 } });
    this.done();
  }
}

/**
 * Parse an SSE byte stream into the `data` payloads of its events, stopping at `[DONE]`.
 * Multi-line `data:` fields join with "\n" (per the SSE spec); comments and other fields are skipped.
 */
export async function* parseSseStream(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const flushLine = (line: string): string | undefined => {
    if (line === '') {
      if (data.length === 0) return undefined;
      const payload = data.join('\n');
      data = [];
      return payload;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    return undefined;
  };
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\n|\r/)) !== -1) {
      const line = buffer.slice(0, newline);
      const width = buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone "\r" at the very end may be the first half of "\r\n": wait for more bytes.
      if (width === 1 && buffer[newline] === '\r' && newline === buffer.length - 1) break;
      buffer = buffer.slice(newline + width);
      const payload = flushLine(line);
      if (payload === undefined) continue;
      if (payload === '[DONE]') return;
      yield payload;
    }
  }
  buffer += decoder.decode();
  if (buffer !== '') flushLine(buffer);
  const last = flushLine('');
  if (last !== undefined && last !== '[DONE]') yield last;
}
