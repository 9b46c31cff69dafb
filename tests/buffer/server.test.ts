import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { startBufferServer, type BufferServer } from '../../src/buffer/server.ts';
import { TRAINER_BATCH_MEDIA_TYPE } from '../../src/protocol/trainer-batch.ts';
import { decodeTrainerBatch } from '../../src/buffer/wire.ts';
import { makeGroup } from './make-sample.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(options: Parameters<typeof startBufferServer>[1] = {}): Promise<{ buffer: DataBuffer; server: BufferServer }> {
  const buffer = DataBuffer.open(':memory:', { normalization: 'dr_grpo' });
  const server = await startBufferServer(buffer, options);
  cleanup.push(() => buffer.close(), () => server.close());
  return { buffer, server };
}

const json = async (response: Response | Promise<Response>): Promise<any> => (await response).json();
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('buffer server', () => {
  it('ingests over HTTP, notifies on ws, and serves JSON and binary batches', async () => {
    const { server } = await serve();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/events`);
    const events: unknown[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m))));
    await new Promise((resolve) => ws.on('open', resolve));
    cleanup.push(async () => ws.close());

    const ack = await json(post(`${server.url}/ingest`, { samples: makeGroup(1, [1, 0]), cursor: { offset: 1 } }));
    expect(ack).toMatchObject({ state: 'ready', samples: 2, duplicate: false });
    await post(`${server.url}/ingest`, { samples: makeGroup(2, [4, 2]) });
    expect(await json(fetch(`${server.url}/cursor`))).toEqual({ cursor: { offset: 1 } });

    const taken = await json(post(`${server.url}/take-batch`, { step: 0, groups: 1 }));
    expect(taken.samples.map((s: { advantage: number }) => s.advantage)).toEqual([0.5, -0.5]);
    expect(taken.samples[0]).not.toHaveProperty('packed');

    const res = await post(`${server.url}/trainer-batch`, { step: 1, groups: 1, maxTokensPerGpu: 64, dpSize: 2 });
    expect(res.headers.get('content-type')).toBe(TRAINER_BATCH_MEDIA_TYPE);
    const frame = decodeTrainerBatch(new Uint8Array(await res.arrayBuffer()));
    expect(frame.header).toMatchObject({ step: 1, dpSize: 2 });
    expect(frame.ranks.flat().flatMap((mb) => Array.from(mb.advantages))).toEqual([1, -1]);

    const replay = await json(fetch(`${server.url}/steps/0`));
    expect(replay).toMatchObject({ step: 0, replayed: true });
    expect((await json(fetch(`${server.url}/stats`))).groups).toMatchObject({ consumed: 2 });

    await expect.poll(() => events.length).toBeGreaterThanOrEqual(4);
    expect(events[0]).toMatchObject({ type: 'ingested', samples: 2 });
    expect(events).toContainEqual(expect.objectContaining({ type: 'batch', step: 1 }));
  });

  it('answers bad requests with a typed error body', async () => {
    const { server } = await serve();
    const bad = await post(`${server.url}/ingest`, { samples: [{ schemaVersion: 1 }] });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ code: 'PHYSARUM_INVALID_INPUT', message: expect.stringMatching(/sample 0 is not a valid Sample/), retryable: false });
    const noSamples = await post(`${server.url}/ingest`, { sample: [] });
    expect((await json(noSamples)).error.message).toMatch(/needs samples/);
    const badStep = await post(`${server.url}/take-batch`, { step: 'one', groups: 1 });
    expect((await json(badStep)).error.message).toMatch(/step must be an integer, got "one"/);
    const notJson = await fetch(`${server.url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });

  it('requires a token to serve off loopback, and checks it for every non-loopback request and socket', async () => {
    const buffer = DataBuffer.open(':memory:');
    cleanup.push(() => buffer.close());
    await expect(startBufferServer(buffer, { host: '0.0.0.0' })).rejects.toThrow(/needs a token/);
    await expect(startBufferServer(buffer, { token: 'short' })).rejects.toThrow(/at least 16 characters/);

    const token = 'a-long-enough-secret-token';
    const { server } = await serve({ host: '0.0.0.0', token });
    // Loopback clients are served without it.
    expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(200);
    // Any other address of this machine is not loopback.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!external) return; // a machine with loopback only cannot show the other side
    const base = `http://${external}:${server.port}`;
    const denied = await fetch(`${base}/health`);
    expect(denied.status).toBe(401);
    expect((await json(denied)).error.message).toMatch(/Bearer/);
    expect((await fetch(`${base}/health`, { headers: { authorization: 'Bearer wrong-token-of-same-len' } })).status).toBe(401);
    expect((await fetch(`${base}/health`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const refused = new WebSocket(`ws://${external}:${server.port}/events`);
    await expect(new Promise((resolve, reject) => (refused.on('open', resolve), refused.on('error', reject)))).rejects.toThrow(/401/);
    const allowed = new WebSocket(`ws://${external}:${server.port}/events`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve, reject) => (allowed.on('open', resolve), allowed.on('error', reject)));
    allowed.close();
  });
});
