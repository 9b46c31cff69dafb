// The client against small real HTTP servers (listen on port 0) that misbehave on purpose.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineHttpError, EngineTimeoutError, EngineUnreachableError, parseErrorEnvelope } from '../../src/engine/client/engine-errors.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { PhysarumError } from '../../src/protocol/errors.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve(handler: Handler): Promise<{ url: string; seen: Array<{ method: string; url: string; body: string; auth?: string }> }> {
  const seen: Array<{ method: string; url: string; body: string; auth?: string }> = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method!, url: req.url!, body, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    handler(req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const reply = { text: 'hi', output_ids: [1, 2], meta_info: { id: 'r1', finish_reason: { type: 'stop', matched: 2 }, prompt_tokens: 1, completion_tokens: 2, cached_tokens: 0, output_token_logprobs: [[null, 1, null], [-0.5, 2, null]] } };

function client(url: string, options: ConstructorParameters<typeof SglangClient>[1] = {}): SglangClient {
  const c = new SglangClient(url, { retryBaseDelayMs: 1, retryMaxDelayMs: 5, ...options });
  cleanups.push(() => c.close());
  return c;
}

describe('SglangClient over HTTP', () => {
  it('retries a server that fails twice, then succeeds, and parses null logprobs', async () => {
    let calls = 0;
    const { url, seen } = await serve((_req, res) => (++calls <= 2 ? json(res, 503, { error: { message: 'warming up' } }) : json(res, 200, reply)));
    const out = await client(url).generate({ input_ids: [5], sampling_params: { max_new_tokens: 2 }, return_logprob: true });
    expect(calls).toBe(3);
    expect(out).toEqual(reply);
    expect(JSON.parse(seen[0]!.body)).toEqual({ input_ids: [5], sampling_params: { max_new_tokens: 2 }, return_logprob: true, stream: false });
  });

  it('gives up after `retries` and names endpoint, status and message', async () => {
    let calls = 0;
    const { url } = await serve((_req, res) => { calls++; json(res, 500, { error: { message: 'boom' } }); });
    const error = await client(url, { retries: 1 }).generate({ input_ids: [1] }).catch((e: unknown) => e);
    expect(calls).toBe(2);
    expect(error).toBeInstanceOf(EngineHttpError);
    expect((error as EngineHttpError).status).toBe(500);
    expect((error as EngineHttpError).message).toBe(`POST ${url}/generate answered HTTP 500: boom`);
    expect((error as EngineHttpError).isRetryable).toBe(true);
  });

  it('does not retry 4xx errors', async () => {
    let calls = 0;
    const { url } = await serve((_req, res) => { calls++; json(res, 400, { error: { message: 'top_p must be in (0, 1], got 0.0.' } }); });
    const error = (await client(url).generate({ input_ids: [1] }).catch((e: unknown) => e)) as EngineHttpError;
    expect(calls).toBe(1);
    expect(error.serverMessage).toBe('top_p must be in (0, 1], got 0.0.');
    expect(error.isRetryable).toBe(false);
    expect(PhysarumError.isInstance(error) && error.code).toBe('PHYSARUM_ENGINE_HTTP');
  });

  it('never retries a /generate whose abort was requested', async () => {
    let generates = 0;
    const holder: { client?: SglangClient } = {};
    const { url } = await serve((req, res) => {
      if (req.url === '/abort_request') return res.end();
      generates++;
      // Abort is requested while the first attempt is in flight; then the attempt fails with 503.
      void holder.client!.abortRequest({ rid: 'job-1' }).then(() => json(res, 503, { error: { message: 'gone' } }));
    });
    holder.client = client(url);
    const error = await holder.client.generate({ input_ids: [1], rid: 'job-1-turn-0' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineHttpError);
    expect(generates).toBe(1);
  });

  it('retries connection errors, then reports the engine unreachable', async () => {
    const { url } = await serve(() => undefined);
    await cleanups.pop()!(); // the port is closed now
    const error = await client(url, { retries: 2 }).generate({ input_ids: [1] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnreachableError);
    expect((error as Error).message).toContain(`${url}/generate is unreachable`);
  });

  it('times out per request with a message that names the knob', async () => {
    const { url } = await serve(() => undefined); // never answers
    const error = await client(url).generate({ input_ids: [1] }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineTimeoutError);
    expect((error as Error).message).toMatch(/did not answer within 50 ms/);
  });

  it('aborts the HTTP request when the signal fires, and the server sees the disconnect', async () => {
    const controller = new AbortController();
    let serverSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (serverSawClose = resolve));
    const { url } = await serve((_req, res) => {
      res.on('close', () => serverSawClose());
      controller.abort(new Error('user cancelled')); // abort on the request event, not after a sleep
    });
    const error = await client(url).generate({ input_ids: [1] }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(PhysarumError.isInstance(error) && error.code).toBe('PHYSARUM_ABORTED');
    expect((error as Error).message).toContain('user cancelled');
    await closed;
  });

  it('sends the router routing key as X-SMG-Routing-Key', async () => {
    let key: string | undefined;
    const { url } = await serve((req, res) => {
      key = req.headers['x-smg-routing-key'] as string | undefined;
      json(res, 200, reply);
    });
    await client(url).generate({ input_ids: [1] }, { routingKey: 'episode-42' });
    expect(key).toBe('episode-42');
  });

  it('treats a batch answer as an array', async () => {
    const { url } = await serve((_req, res) => json(res, 200, [reply, reply]));
    const out = await client(url).generate({ input_ids: [[1], [2]] });
    expect(Array.isArray(out) && out.length).toBe(2);
  });

  it('sends exact control bodies and the bearer key', async () => {
    const { url, seen } = await serve((req, res) => {
      if (req.url === '/open_session') return json(res, 200, 'sess-1');
      if (req.url === '/pause_generation') return json(res, 200, { message: 'Generation paused successfully.', status: 'ok' });
      if (req.url === '/continue_generation') return json(res, 200, { message: 'Generation continued successfully.', status: 'ok' });
      if (req.url?.startsWith('/update_weights') || req.url?.startsWith('/init_weights')) return json(res, 200, { success: true, message: 'ok' });
      res.end();
    });
    const c = client(url, { apiKey: 'K' });
    expect(await c.openSession({ capacityOfStrLen: 100, sessionId: 'sess-1', timeout: 5 })).toBe('sess-1');
    await c.closeSession('sess-1');
    await c.abortRequest({ abortAll: true });
    await c.pauseGeneration('retract');
    await c.continueGeneration();
    await c.updateWeightsFromDisk({ modelPath: '/ckpt/v3', weightVersion: 'v3' });
    await c.initWeightsUpdateGroup({ masterAddress: '10.0.0.1', masterPort: 29500, rankOffset: 1, worldSize: 3 });
    await c.updateWeightsFromDistributed({ names: ['w'], dtypes: ['bfloat16'], shapes: [[2, 2]], weightVersion: 'v4' });
    expect(seen.map((s) => [s.url, JSON.parse(s.body || 'null')])).toEqual([
      ['/open_session', { capacity_of_str_len: 100, session_id: 'sess-1', timeout: 5 }],
      ['/close_session', { session_id: 'sess-1' }],
      ['/abort_request', { rid: '', abort_all: true }],
      ['/pause_generation', { mode: 'retract' }],
      ['/continue_generation', {}],
      ['/update_weights_from_disk', { model_path: '/ckpt/v3', weight_version: 'v3' }],
      ['/init_weights_update_group', { master_address: '10.0.0.1', master_port: 29500, rank_offset: 1, world_size: 3, group_name: 'weight_update_group', backend: 'nccl' }],
      ['/update_weights_from_distributed', { names: ['w'], dtypes: ['bfloat16'], shapes: [[2, 2]], group_name: 'weight_update_group', flush_cache: true, abort_all_requests: false, weight_version: 'v4' }],
    ]);
    expect(seen.every((s) => s.auth === 'Bearer K')).toBe(true);
  });

  it('health is a boolean, falls back to legacy info aliases on 404', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/health') { res.writeHead(503); return res.end(); }
      if (req.url === '/get_model_info') return json(res, 200, { model_path: 'm', is_generation: true });
      json(res, 404, { detail: 'Not Found' });
    });
    const c = client(url);
    expect(await c.health()).toBe(false);
    expect((await c.modelInfo()).model_path).toBe('m');
  });

  it('streams: cumulative chunks get client-side deltas; an error event throws', async () => {
    const chunks = [
      { text: 'a', output_ids: [1], meta_info: { id: 'x', finish_reason: null, prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0 } },
      { text: 'ab', output_ids: [1, 2], meta_info: { id: 'x', finish_reason: null, prompt_tokens: 1, completion_tokens: 2, cached_tokens: 0 } },
    ];
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
      res.write('data: {"error":{"message":"prompt too long","type":"invalid_request_error","code":400,"retryable":false}}\n\n');
      res.end('data: [DONE]\n\n');
    });
    const deltas: string[] = [];
    const error = await (async () => {
      for await (const chunk of client(url).generateStream({ input_ids: [1] })) deltas.push(`${chunk.delta_text}:${chunk.delta_output_ids.join(',')}`);
    })().catch((e: unknown) => e);
    expect(deltas).toEqual(['a:1', 'b:2']);
    expect(error).toBeInstanceOf(EngineHttpError);
    expect((error as EngineHttpError).serverMessage).toBe('prompt too long');
  });
});

describe('SglangClient stream edge cases', () => {
  it('a scheduler abort chunk with a status_code throws; a plain abort chunk is a normal result', async () => {
    const abortChunk = (extra: Record<string, unknown>) => ({
      text: 'x', output_ids: [7], meta_info: { id: 'r', finish_reason: { type: 'abort', message: 'too long', ...extra }, prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0 },
    });
    let variant: Record<string, unknown> = { status_code: 400, err_type: 'BadRequestError' };
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify(abortChunk(variant))}\n\ndata: [DONE]\n\n`);
    });
    const c = client(url);
    const error = (await (async () => {
      for await (const _ of c.generateStream({ input_ids: [1] })) void _;
    })().catch((e: unknown) => e)) as EngineHttpError;
    expect(error).toBeInstanceOf(EngineHttpError);
    expect([error.status, error.serverMessage]).toEqual([400, 'too long']);
    variant = { status_code: null, err_type: null };
    const chunks = [];
    for await (const chunk of c.generateStream({ input_ids: [1] })) chunks.push(chunk);
    expect(chunks.map((x) => x.meta_info.finish_reason?.type)).toEqual(['abort']);
  });

  it('an "Abort in waiting queue" stream carrying only the last id yields no false delta', async () => {
    const meta = (finish: unknown, n: number) => ({ id: 'r', finish_reason: finish, prompt_tokens: 1, completion_tokens: n, cached_tokens: 0 });
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ text: 'ab', output_ids: [1, 2], meta_info: meta(null, 2) })}\n\n`);
      res.end(`data: ${JSON.stringify({ text: 'b', output_ids: [2], meta_info: meta({ type: 'abort', message: 'Abort in waiting queue' }, 2) })}\n\ndata: [DONE]\n\n`);
    });
    const chunks = [];
    for await (const chunk of client(url).generateStream({ input_ids: [1] })) chunks.push(chunk);
    expect(chunks.map((x) => x.delta_output_ids)).toEqual([[1, 2], []]);
    expect(chunks[1]!.output_ids).toEqual([1, 2]);
  });
});

describe('parseErrorEnvelope', () => {
  it('reads every envelope SGLang and its router use', () => {
    expect(parseErrorEnvelope('{"error":{"message":"top_p bad"}}')).toEqual({ message: 'top_p bad' });
    expect(parseErrorEnvelope('{"object":"error","message":"bad field","type":"Bad Request","param":null,"code":400}')).toEqual({ message: 'bad field', code: 'Bad Request' });
    expect(parseErrorEnvelope('{"error":{"type":"Service Unavailable","code":"no_available_workers","message":"no workers"}}')).toEqual({ message: 'no workers', code: 'no_available_workers' });
    expect(parseErrorEnvelope('{"error":"Unauthorized"}')).toEqual({ message: 'Unauthorized' });
    expect(parseErrorEnvelope('{"error":"bad id","code":"WORKER_NOT_FOUND"}')).toEqual({ message: 'bad id', code: 'WORKER_NOT_FOUND' });
    expect(parseErrorEnvelope('{"detail":"Not Found"}')).toEqual({ message: 'Not Found' });
    expect(parseErrorEnvelope('Internal Server Error')).toEqual({ message: 'Internal Server Error' });
    expect(parseErrorEnvelope('')).toEqual({ message: '(empty body)' });
  });
});
