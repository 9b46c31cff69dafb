/**
 * The Data Buffer over HTTP, with ws notifications on /events. Loopback by default; binding any
 * other host requires a token. Loopback clients are always served; every other request and
 * socket must present the token (`Authorization: Bearer <token>`). Errors are
 * `{ error: { code, message, retryable } }`.
 *
 *   GET  /health  /stats  /cursor  /groups?state=&step=&status=&limit=  /steps/<n>
 *   POST /ingest {samples, cursor?}   /checkpoint {cursor}   /take-partial {groups}
 *   POST /take-batch {step, groups, weightVersion?}                       -> JSON
 *   POST /trainer-batch {step, groups, weightVersion?, maxTokensPerGpu, dpSize} -> PHTB frame
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { InvalidInputError, PhysarumError } from '../protocol/errors.ts';
import { TRAINER_BATCH_MEDIA_TYPE } from '../protocol/trainer-batch.ts';
import type { DataBuffer } from './data-buffer.ts';
import { buildTrainerBatch } from './pack.ts';
import type { GroupState, TrainSample } from './rows.ts';
import type { TakenBatch } from './take-batch.ts';
import { encodeTrainerBatch } from './wire.ts';

export interface BufferServerOptions {
  host?: string;
  port?: number;
  /** Required for a non-loopback host; then every non-loopback client must send it. */
  token?: string;
  /** Largest accepted request body (default 256 MiB). */
  maxBodyBytes?: number;
  /** Bytes of request bodies held at once over all requests (default 512 MiB); past it: 503, retryable. */
  maxInFlightBytes?: number;
  signal?: AbortSignal;
}

export interface BufferServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

class HttpError extends PhysarumError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('PHYSARUM_INVALID_INPUT', message);
  }
}

/** JSON form of a taken batch: typed arrays left out (the samples carry the same numbers). */
export function takenBatchJson(batch: TakenBatch): unknown {
  const plain = ({ packed: _p, ...rest }: TrainSample) => rest;
  return { ...batch, groups: batch.groups.map((g) => ({ ...g, samples: g.samples.map(plain) })), samples: batch.samples.map(plain), excluded: batch.excluded.map(plain) };
}

/** Loopback clients are always served; any other client must present the token. */
function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (LOOPBACK.has(req.socket.remoteAddress ?? '')) return true;
  if (token === undefined) return false;
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** JSON nested deeper than this is refused (400): deeper input only overflows stacks further on. */
const MAX_JSON_DEPTH = 64;

/** Bodies held at once over every request, so concurrent large posts cannot exhaust memory. */
class InFlight {
  bytes = 0;
  constructor(readonly limit: number) {}
}

async function readJson(req: IncomingMessage, limit: number, inFlight: InFlight): Promise<Record<string, unknown>> {
  // A browser page may POST text/plain cross-origin without asking first; JSON must say it is JSON.
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, `request bodies must be application/json, got '${type || 'none'}'`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      inFlight.bytes += chunk.length;
      if (size > limit) throw new HttpError(413, `request body is over ${limit} bytes (maxBodyBytes)`);
      if (inFlight.bytes > inFlight.limit) throw new HttpError(503, `the server holds over ${inFlight.limit} bytes of request bodies (maxInFlightBytes); retry later`);
      chunks.push(chunk);
    }
  } finally {
    inFlight.bytes -= size;
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
  } catch (cause) {
    throw new HttpError(400, `request body is not a JSON object: ${(cause as Error).message}`);
  }
  if (depthOver(value, MAX_JSON_DEPTH)) throw new HttpError(400, `request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  return value as Record<string, unknown>;
}

/** Whether `value` nests deeper than `max` (iterative: deep input must not overflow this either). */
function depthOver(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** A query parameter that must be a non-negative integer when present. */
function queryInt(q: URLSearchParams, key: string): number | undefined {
  const text = q.get(key);
  if (text === null) return undefined;
  if (!/^\d{1,9}$/.test(text)) throw new InvalidInputError(`query parameter ${key} must be a non-negative integer, got '${text.slice(0, 40)}'`);
  return Number(text);
}

/** A request from a web page on another origin (browsers always send Origin; our clients do not). */
function foreignOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  try {
    const host = new URL(origin).hostname.replace(/^\[|\]$/g, '');
    return LOOPBACK.has(host) ? undefined : origin;
  } catch {
    return origin;
  }
}

function int(body: Record<string, unknown>, key: string, optional = false): number | undefined {
  const v = body[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidInputError(`${key} must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

export async function startBufferServer(buffer: DataBuffer, options: BufferServerOptions = {}): Promise<BufferServer> {
  const { host = '127.0.0.1', port = 0, token, maxBodyBytes = 256 * 1024 * 1024 } = options;
  const inFlight = new InFlight(options.maxInFlightBytes ?? 512 * 1024 * 1024);
  if (!LOOPBACK.has(host) && !token) throw new InvalidInputError(`serving the buffer on ${host} needs a token (BufferServerOptions.token): only loopback may go without`);
  if (token !== undefined && token.length < 16) throw new InvalidInputError('the buffer server token must be at least 16 characters');

  const routes: Record<string, (body: Record<string, unknown>, url: URL, res: ServerResponse) => Promise<unknown> | unknown> = {
    'GET /health': () => ({ status: 'ok', groups: buffer.groupCounts() }),
    'GET /stats': () => ({ groups: buffer.groupCounts(), counters: buffer.counters() }),
    'GET /cursor': () => ({ cursor: buffer.cursor() ?? null }),
    'GET /groups': (_b, url) => {
      const q = url.searchParams;
      return buffer.groups({
        state: (q.get('state') as GroupState | null) ?? undefined,
        status: q.get('status') ?? undefined,
        step: queryInt(q, 'step'),
        limit: queryInt(q, 'limit') ?? 100,
      });
    },
    'POST /ingest': (b) => {
      if (!Array.isArray(b.samples)) throw new InvalidInputError('ingest body needs samples: an array of Sample records');
      return buffer.ingest(b.samples as never[], { cursor: b.cursor });
    },
    'POST /checkpoint': async (b) => {
      await buffer.checkpoint({ cursor: b.cursor });
      return {};
    },
    'POST /take-partial': (b) => buffer.takePartial({ groups: int(b, 'groups')! }),
    'POST /take-batch': async (b) =>
      takenBatchJson(await buffer.takeBatch({ step: int(b, 'step')!, groups: int(b, 'groups')!, weightVersion: int(b, 'weightVersion', true) })),
    'POST /trainer-batch': async (b, _u, res) => {
      const taken = await buffer.takeBatch({ step: int(b, 'step')!, groups: int(b, 'groups')!, weightVersion: int(b, 'weightVersion', true) });
      const frame = encodeTrainerBatch(buildTrainerBatch(taken.samples, { step: taken.step, maxTokensPerGpu: int(b, 'maxTokensPerGpu')!, dpSize: int(b, 'dpSize')! }));
      res.writeHead(200, { 'content-type': TRAINER_BATCH_MEDIA_TYPE, 'content-length': frame.byteLength, 'x-physarum-replayed': String(taken.replayed) });
      res.end(frame);
      return undefined;
    },
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://buffer');
      try {
        if (!authorized(req, token)) throw new HttpError(401, 'missing or wrong bearer token: clients other than loopback must send Authorization: Bearer <token>');
        const origin = foreignOrigin(req);
        if (origin !== undefined) throw new HttpError(403, `requests from web pages (Origin ${origin.slice(0, 100)}) are refused`);
        const step = /^\/steps\/(\d+)$/.exec(url.pathname);
        let result: unknown;
        if (req.method === 'GET' && step) result = takenBatchJson(buffer.stepBatch(Number(step[1])));
        else {
          const route = routes[`${req.method} ${url.pathname}`];
          if (!route) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
          result = await route(req.method === 'POST' ? await readJson(req, maxBodyBytes, inFlight) : {}, url, res);
        }
        if (result !== undefined) {
          const text = JSON.stringify(result);
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        }
      } catch (error) {
        // A body refused part-way is not read to the end: close the connection after answering.
        if (error instanceof HttpError && (error.status === 413 || error.status === 503)) res.setHeader('connection', 'close');
        const status = error instanceof HttpError ? error.status : PhysarumError.isInstance(error) && error.code === 'PHYSARUM_INVALID_INPUT' ? 400 : 500;
        const body = PhysarumError.isInstance(error)
          ? { code: error.code, message: error.message, retryable: error.isRetryable || (error instanceof HttpError && error.status === 503) }
          : { code: 'PHYSARUM_BUFFER', message: (error as Error).message, retryable: false };
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: body }));
      }
    })();
  });

  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://buffer').pathname !== '/events' || !authorized(req, token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
      return;
    }
    if (foreignOrigin(req) !== undefined) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      const off = buffer.onEvent((event) => ws.send(JSON.stringify(event)));
      ws.on('close', off);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      for (const ws of sockets.clients) ws.terminate();
      sockets.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shownHost}:${address.port}`, port: address.port, close };
}
