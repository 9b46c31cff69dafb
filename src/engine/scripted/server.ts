/**
 * The scripted server: a real node:http server that speaks SGLang's native wire (and enough of
 * `/v1/chat/completions` for judge/opponent clients) and replays a `ScriptedPolicy`. Requests are
 * validated as strictly as SGLang does (sglang-validate.ts), so a client that works here works
 * against SGLang. Used for env validation with known solutions, tests, benches and fleets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tokenizer } from '../../chat/tokenizer.ts';
import { expandGenerateRequest } from '../server/generate-batch.ts';
import { handleChatCompletions } from './chat-route.ts';
import { controlRoutes, type Route } from './control-routes.ts';
import type { PreparedItem } from './response.ts';
import { RequestRejected, ScriptedEngine } from './scripted-engine.ts';
import type { ScriptedPolicy } from './policy.ts';
import {
  methodNotAllowed,
  notFound,
  parseJsonBody,
  readBody,
  sendEmpty,
  sendJson,
  sendText,
} from '../server/server-http.ts';
import type { GenerateResponse } from '../../protocol/sglang-types.ts';
import { validateGenerateRequest } from '../server/sglang-validate.ts';
import { SseWriter } from '../client/sse.ts';

export { loadScript } from './policy.ts';

export interface ScriptedServerOptions {
  script: ScriptedPolicy;
  tokenizer: Tokenizer;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Fixed delay before each request's first token. */
  latencyMs?: number;
  /** Delay between tokens (gives aborts and pauses something to interrupt). */
  tokenLatencyMs?: number;
  weightVersion?: string;
  contextLength?: number;
  /** Reported as `model_path` (default "scripted"). */
  modelPath?: string;
  /** Like `--api-key`: every route but `/health*` and `/metrics` needs `Authorization: Bearer <key>`. */
  apiKey?: string;
}

export interface ScriptedServer {
  url: string;
  port: number;
  /** The state machine: events `request-start`/`request-end`, weight version, pause state. */
  engine: ScriptedEngine;
  /** `/generate` and `/v1/chat/completions` requests served so far. */
  readonly requests: number;
  close(): Promise<void>;
}



export async function startScriptedServer(options: ScriptedServerOptions): Promise<ScriptedServer> {
  const engine = new ScriptedEngine(options);
  const modelPath = options.modelPath ?? 'scripted';
  let requests = 0;
  let closing = false;

  const generate = async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    requests++;
    const validation = validateGenerateRequest(raw);
    if (!validation.ok) {
      if (typeof validation.body === 'string') sendText(res, validation.status, validation.body, validation.contentType);
      else sendJson(res, validation.status, validation.body);
      return;
    }
    const { request } = validation;
    const { items, isBatch, stream } = expandGenerateRequest(request);
    const disconnect = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) disconnect.abort();
    });
    const writer = stream ? new SseWriter(res) : undefined;
    writer?.start();
    let prepared: PreparedItem[];
    try {
      prepared = items.map((item) => engine.prepare(item, request.session_params, () => engine.abortRid(item.rid)));
    } catch (error) {
      if (!(error instanceof RequestRejected)) throw error;
      // Upstream validates inside the generator: streams get an error event after the 200 header.
      if (writer) writer.error(error.message, 400);
      else sendJson(res, 400, { error: { message: error.message } });
      return;
    }
    const label = (r: GenerateResponse, index: number): GenerateResponse => (isBatch && writer ? { ...r, index } : r);
    const results = await Promise.all(
      prepared.map(async (p) => {
        const onChunk = writer ? (r: GenerateResponse) => writer.send(label(r, p.item.index)) : undefined;
        const final = await engine.run(p, { signal: disconnect.signal, ...(onChunk ? { onChunk } : {}) });
        writer?.send(label(final, p.item.index));
        return final;
      }),
    );
    if (writer) writer.done();
    else sendJson(res, 200, isBatch ? results : results[0]);
  };

  const modelInfo = (): Record<string, unknown> => ({
    model_path: modelPath,
    tokenizer_path: modelPath,
    is_generation: true,
    preferred_sampling_params: null,
    weight_version: engine.weightVersion,
    has_image_understanding: false,
    has_audio_understanding: false,
    model_type: 'scripted',
    architectures: ['ScriptedPolicy'],
  });

  const routes: Record<string, Route> = {
    '/health': { methods: ['GET'], handle: (_q, res) => sendEmpty(res, closing ? 503 : 200) },
    '/health_generate': { methods: ['GET'], handle: (_q, res) => sendEmpty(res, closing ? 503 : 200) },
    '/model_info': { methods: ['GET'], handle: (_q, res) => sendJson(res, 200, modelInfo()) },
    '/get_model_info': { methods: ['GET'], handle: (_q, res) => sendJson(res, 200, modelInfo()) },
    '/server_info': {
      methods: ['GET'],
      handle: (_q, res) =>
        sendJson(res, 200, {
          model_path: modelPath, tp_size: 1, dp_size: 1, context_length: engine.contextLength, host: options.host ?? '127.0.0.1',
          port: address.port, status: 'ready', max_total_num_tokens: engine.contextLength, max_req_input_len: engine.contextLength - 1,
          weight_version: engine.weightVersion, version: 'physarum-scripted', internal_states: [{ effective_max_running_requests_per_dp: 1024 }],
        }),
    },
    '/v1/models': {
      methods: ['GET'],
      handle: (_q, res) =>
        sendJson(res, 200, { object: 'list', data: [{ id: modelPath, object: 'model', created: 0, owned_by: 'sglang', root: modelPath, parent: null, max_model_len: engine.contextLength }] }),
    },
    ...controlRoutes(engine),
    '/v1/chat/completions': {
      methods: ['POST'],
      handle: (req, res, body) => {
        requests++;
        return handleChatCompletions(engine, modelPath, req, res, body);
      },
    },
  };

  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (options.apiKey && !path.startsWith('/health') && !path.startsWith('/metrics') && req.headers.authorization !== `Bearer ${options.apiKey}`)
        return sendJson(res, 401, { error: 'Unauthorized' });
      if (path === '/generate') {
        if (req.method !== 'POST' && req.method !== 'PUT') return methodNotAllowed(res);
        return generate(req, res, await readBody(req));
      }
      const route = routes[path];
      if (!route) return notFound(res);
      if (!route.methods.includes(req.method ?? 'GET')) return methodNotAllowed(res);
      const parsed = parseJsonBody(res, await readBody(req));
      if (!parsed.ok) return;
      const body = typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value) ? (parsed.value as Record<string, unknown>) : {};
      await route.handle(req, res, body);
    })().catch((error: unknown) => {
      // A bug here must not take the server down; it answers like FastAPI's unhandled-exception path.
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      else res.destroy(error as Error);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    engine,
    get requests() {
      return requests;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        engine.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
