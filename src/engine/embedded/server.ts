/**
 * The embedded engine's HTTP server: SGLang's native routes (docs/architecture.md, wire §1–3), same paths, same
 * JSON shapes and statuses, so every SGLang client (ours included) can point at it unchanged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PauseMode } from '../../protocol/sglang-types.ts';
import { EmbeddedEngine, type EmbeddedEngineOptions } from './embedded-engine.ts';
import { handleGenerate } from './generate-route.ts';
import { SessionStore } from '../server/session-store.ts';

export interface EmbeddedServerOptions extends EmbeddedEngineOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
}

export interface EmbeddedServer {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly engine: EmbeddedEngine;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> | void;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function empty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': '0' });
  res.end();
}

/** Control bodies are optional and lenient: a bad JSON body counts as `{}` where upstream's are all-default. */
function parseObject(body: string): Record<string, unknown> | undefined {
  if (body.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function badRequestBody(message: string): { object: string; message: string; type: string; param: null; code: number } {
  return { object: 'error', message, type: 'Bad Request', param: null, code: 400 };
}

function routes(engine: EmbeddedEngine, sessions: SessionStore): Map<string, { methods: string[]; handler: Handler }> {
  const table = new Map<string, { methods: string[]; handler: Handler }>();
  const add = (paths: string[], methods: string[], handler: Handler): void => {
    for (const path of paths) table.set(path, { methods, handler });
  };
  const GET_POST = ['GET', 'POST'];
  add(['/generate'], ['POST', 'PUT'], (req, res, body) => handleGenerate(req, res, body, engine, sessions));
  add(['/health'], GET_POST, (_req, res) => empty(res, 200));
  add(['/health_generate'], GET_POST, async (_req, res) => {
    // A paused engine is healthy but would hold the probe: answer without generating.
    if (engine.isPaused) return empty(res, 200);
    const probe = await engine.generate({ rid: `HEALTH_CHECK_${Date.now()}`, inputIds: [engine.model.tokens.bos ?? 0], params: { max_new_tokens: 1, temperature: 0 } },
      { signal: AbortSignal.timeout(20_000) });
    empty(res, probe.finishReason.type === 'abort' ? 503 : 200);
  });
  const modelInfo: Handler = (_req, res) =>
    json(res, 200, {
      model_path: engine.modelPath, tokenizer_path: engine.modelPath, is_generation: true, preferred_sampling_params: null,
      weight_version: engine.weightVersion, has_image_understanding: false, has_audio_understanding: false,
      model_type: String(engine.model.fileInfo.metadata.general.architecture), architectures: null,
      // Not in SGLang's reply: lets a client check its tokenizer against the GGUF (engine/tokenizer-fit.ts).
      vocab_size: engine.vocabularySize,
    });
  add(['/model_info', '/get_model_info'], ['GET'], modelInfo);
  add(['/server_info', '/get_server_info'], ['GET'], (_req, res) =>
    json(res, 200, {
      model_path: engine.modelPath, context_length: engine.contextSize, max_running_requests: engine.sequences,
      max_total_num_tokens: engine.contextSize * engine.sequences, max_req_input_len: engine.contextSize - 1,
      weight_version: engine.weightVersion, status: 'ready', version: 'physarum-embedded (llama.cpp)', threads: engine.threads,
      load: engine.load,
    }));
  add(['/abort_request'], ['POST'], (_req, res, body) => {
    const request = parseObject(body) ?? {};
    engine.abort({ rid: typeof request.rid === 'string' ? request.rid : '', all: request.abort_all === true });
    empty(res, 200);
  });
  add(['/pause_generation'], ['POST'], async (_req, res, body) => {
    const mode = (parseObject(body)?.mode ?? 'abort') as PauseMode;
    if (!['abort', 'retract', 'in_place'].includes(mode)) return json(res, 400, badRequestBody(`Invalid pause mode: ${String(mode)}`));
    await engine.pause(mode);
    json(res, 200, { message: 'Generation paused successfully.', status: 'ok' });
  });
  add(['/continue_generation'], ['POST'], (_req, res) => {
    engine.resume();
    json(res, 200, { message: 'Generation continued successfully.', status: 'ok' });
  });
  add(['/flush_cache'], GET_POST, async (_req, res) => {
    const result = await engine.flushCache();
    res.writeHead(result.ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(result.ok ? 'Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n' : result.message);
  });
  add(['/update_weights_from_disk'], ['POST'], async (_req, res, body) => {
    const request = parseObject(body);
    if (!request || typeof request.model_path !== 'string')
      return json(res, 400, badRequestBody('1 validation error for UpdateWeightFromDiskReqInput\nmodel_path\n  Field required [type=missing]'));
    if (request.abort_all_requests === true) engine.abort({ all: true });
    try {
      const version = typeof request.weight_version === 'string' ? request.weight_version : null;
      await engine.updateWeightsFromDisk(request.model_path, { weightVersion: version });
      json(res, 200, { success: true, message: `Succeeded to update model weights. Weight version updated to ${engine.weightVersion}.`, num_paused_requests: 0 });
    } catch (error) {
      json(res, 400, { success: false, message: `Failed to update weights: ${(error as Error).message}`, num_paused_requests: 0 });
    }
  });
  add(['/update_weight_version'], ['POST'], (_req, res, body) => {
    const request = parseObject(body);
    if (!request || typeof request.new_version !== 'string') return json(res, 400, badRequestBody('new_version is required'));
    if (request.abort_all_requests !== false) engine.abort({ all: true });
    engine.weightVersion = request.new_version;
    json(res, 200, { success: true, message: `Weight version updated to ${request.new_version}`, new_version: request.new_version });
  });
  add(['/open_session'], GET_POST, (_req, res, body) => {
    const request = parseObject(body);
    if (!request || typeof request.capacity_of_str_len !== 'number')
      return json(res, 400, badRequestBody('1 validation error for OpenSessionReqInput\ncapacity_of_str_len\n  Field required [type=missing]'));
    if (request.streaming === true)
      return json(res, 400, { error: { message: 'Streaming sessions need --enable-streaming-session, which the embedded engine does not offer.' } });
    const id = sessions.open(typeof request.session_id === 'string' ? request.session_id : undefined, typeof request.timeout === 'number' ? request.timeout : undefined);
    if (id === undefined)
      return json(res, 400, { error: { message: 'Failed to open the session. Check if a session with the same id is still open.' } });
    json(res, 200, id);
  });
  add(['/close_session'], GET_POST, (_req, res, body) => {
    const id = parseObject(body)?.session_id;
    if (typeof id === 'string') sessions.close(id);
    empty(res, 200);
  });
  add(['/v1/models'], ['GET'], (_req, res) =>
    json(res, 200, { object: 'list', data: [{ id: engine.modelPath, object: 'model', created: 0, owned_by: 'sglang', root: engine.modelPath, parent: null, max_model_len: engine.contextSize }] }));
  return table;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Serve an existing engine over HTTP. */
export async function serveEngine(engine: EmbeddedEngine, { port = 0, host = '127.0.0.1', signal }: { port?: number; host?: string; signal?: AbortSignal } = {}): Promise<EmbeddedServer> {
  const sessions = new SessionStore();
  const table = routes(engine, sessions);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = table.get(path);
    if (!route) return json(res, 404, { detail: 'Not Found' });
    if (!route.methods.includes(req.method ?? 'GET')) return json(res, 405, { detail: 'Method Not Allowed' });
    readBody(req)
      .then((body) => route.handler(req, res, body))
      .catch((error: unknown) => {
        // Unexpected failures are 500s with upstream's plain text; the detail goes to the log.
        console.error(`physarum engine: ${req.method} ${path} failed:`, error);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('Internal Server Error');
        } else res.end();
      });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      sessions.closeAll();
      await engine.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());
  signal?.addEventListener('abort', () => void close(), { once: true });
  return { url, engine, close };
}

/** Load a GGUF and serve it: the in-process equivalent of `physarum engine serve`. */
export async function startEmbeddedServer(options: EmbeddedServerOptions, { signal }: { signal?: AbortSignal } = {}): Promise<EmbeddedServer> {
  const engine = await EmbeddedEngine.start(options, signal ? { signal } : {});
  try {
    return await serveEngine(engine, {
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    await engine.close();
    throw error;
  }
}
