import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineAbortError, abortWorkers } from '../../src/rollout/engine-abort.ts';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

function worker(respond: (req: IncomingMessage, body: string) => { status: number; body: string } | 'hang'): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'], body });
      const answer = respond(req, body);
      if (answer === 'hang') return;
      res.writeHead(answer.status).end(answer.body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })),
  );
}

let ok1: Awaited<ReturnType<typeof worker>>;
let ok2: Awaited<ReturnType<typeof worker>>;
let failing: Awaited<ReturnType<typeof worker>>;
let hanging: Awaited<ReturnType<typeof worker>>;
beforeAll(async () => {
  ok1 = await worker(() => ({ status: 200, body: '' }));
  ok2 = await worker(() => ({ status: 200, body: '' }));
  failing = await worker(() => ({ status: 403, body: '{"error":"Forbidden"}' }));
  hanging = await worker(() => 'hang');
});
afterAll(() => {
  for (const w of [ok1, ok2, failing, hanging]) {
    w?.server.closeAllConnections();
    w?.server.close();
  }
});

describe('abortWorkers', () => {
  it('posts {"rid": "", "abort_all": true} as JSON to /abort_request of every worker', async () => {
    await abortWorkers([ok1.url, `${ok2.url}/`])({});
    for (const w of [ok1, ok2]) {
      expect(w.seen).toEqual([{ method: 'POST', url: '/abort_request', contentType: 'application/json', body: '{"rid":"","abort_all":true}' }]);
    }
  });

  it('aborts the reachable workers and names each one that failed', async () => {
    ok1.seen.length = 0;
    const error = await abortWorkers([ok1.url, failing.url, 'http://127.0.0.1:9'])({}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineAbortError);
    const failures = (error as EngineAbortError).failures;
    expect(failures.map((f) => f.url)).toEqual([failing.url, 'http://127.0.0.1:9']);
    expect(failures[0]!.message).toMatch(/answered HTTP 403: Forbidden/);
    expect(failures[1]!.message).toMatch(/unreachable|ECONNREFUSED|connect/);
    expect((error as Error).message).toMatch(/^abort_request failed on 2 worker\(s\): /);
    expect(ok1.seen).toHaveLength(1);
  });

  it('gives up on a worker that does not answer within its timeout, and honours the caller signal', async () => {
    const timedOut = await abortWorkers([hanging.url], { timeoutMs: 50 })({}).then(
      () => undefined,
      (e: unknown) => e as EngineAbortError,
    );
    expect(timedOut?.failures[0]?.url).toBe(hanging.url);
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const aborted = await abortWorkers([hanging.url])({ signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e as EngineAbortError,
    );
    expect(aborted?.failures[0]?.message).toMatch(/shutting down|abort/i);
  });
});
