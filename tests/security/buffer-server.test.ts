// Issue 12 §6: the Data Buffer server against hostile input: bad query values, deep JSON, a web
// page's requests (foreign Origin, text/plain), many large bodies at once, overflowing rewards.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { startBufferServer, type BufferServer } from '../../src/buffer/server.ts';
import { makeGroup } from '../buffer/make-sample.ts';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(options: Parameters<typeof startBufferServer>[1] = {}): Promise<{ buffer: DataBuffer; server: BufferServer }> {
  const buffer = DataBuffer.open(':memory:', { normalization: 'grpo' });
  const server = await startBufferServer(buffer, options);
  cleanup.push(() => buffer.close(), () => server.close());
  return { buffer, server };
}
const postJson = (url: string, body: string, type = 'application/json') => fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

describe('the buffer server refuses hostile input with 4xx, never 500', () => {
  it('a query value that is not an integer is a 400 naming it', async () => {
    const { server } = await serve();
    const r = await fetch(`${server.url}/groups?limit=abc`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/limit must be a non-negative integer/);
    expect((await fetch(`${server.url}/groups?step=-1`)).status).toBe(400);
    expect((await fetch(`${server.url}/groups?limit=5`)).status).toBe(200);
  });

  it('metadata nested 200,000 deep is a 400, not a stack overflow', async () => {
    const { server } = await serve();
    const deep = `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`;
    const r = await postJson(`${server.url}/ingest`, `{"samples":[{"metadata":${deep}}]}`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/nested deeper than 64/);
  });

  it('a web page cannot drive it: text/plain POSTs and sockets or requests with a foreign Origin are refused', async () => {
    const { server } = await serve();
    expect((await postJson(`${server.url}/checkpoint`, '{}', 'text/plain')).status).toBe(415);
    expect((await fetch(`${server.url}/stats`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
    expect((await fetch(`${server.url}/stats`, { headers: { origin: 'http://localhost:3000' } })).status).toBe(200);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/events`, { headers: { origin: 'http://evil.example' } });
    const refused = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    ws.terminate();
    expect(refused).toBe(403);
  });

  it('bounds the bytes of request bodies held at once over all requests (503, retryable)', async () => {
    const { server } = await serve({ maxBodyBytes: 800_000, maxInFlightBytes: 1_000_000 });
    // One large body is held open (not yet ended) while another comes in.
    const held = request(`${server.url}/checkpoint`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    const heldDone = new Promise<number>((resolve) => held.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0))));
    held.on('error', () => undefined);
    held.write(`{"cursor":1,"pad":"${'x'.repeat(700_000)}`);
    let status = 0;
    let body: { error?: { retryable: boolean } } = {};
    for (let i = 0; i < 200 && status !== 503; i++) {
      // Until the held bytes have arrived, the second body fits; then it must not.
      const r = await postJson(`${server.url}/checkpoint`, JSON.stringify({ cursor: 1, pad: 'y'.repeat(600_000) }));
      status = r.status;
      body = (await r.json()) as typeof body;
    }
    expect(status).toBe(503);
    expect(body.error?.retryable).toBe(true);
    held.end('"}');
    expect(await heldDone).toBe(200);
    // Once it is done, the same body fits again.
    expect((await postJson(`${server.url}/checkpoint`, JSON.stringify({ cursor: 1, pad: 'y'.repeat(600_000) }))).status).toBe(200);
  });

  it('rewards of ±1e308 are excluded with a counted reason, and the rest of the group still gets advantages', async () => {
    const { buffer } = await serve();
    buffer.ingest(makeGroup(0, [1e308, -1e308, 0, 1]));
    const taken = await buffer.takeBatch({ step: 0, groups: 1 });
    expect(taken.counts.excluded_reward_out_of_range).toBe(2);
    expect(taken.excluded.map((s) => s.excluded)).toEqual(['reward_out_of_range', 'reward_out_of_range']);
    const advantages = taken.samples.map((s) => s.advantage);
    expect(advantages).toHaveLength(2);
    expect(advantages.every((a) => a !== null && Number.isFinite(a) && a !== 0)).toBe(true);
  });
});
