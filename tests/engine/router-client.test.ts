import { afterEach, describe, expect, it } from 'vitest';
import { RouterClient } from '../../src/engine/router-client.ts';
import { startFakeRouter, type FakeRouter } from './fake-router.ts';

const open: Array<FakeRouter | RouterClient> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

describe('RouterClient', () => {
  it('adds, lists and removes workers through /workers', async () => {
    const router = await startFakeRouter();
    const client = new RouterClient(router.url);
    open.push(router, client);
    const added = await client.addWorker('http://127.0.0.1:1234', { priority: 10 });
    expect(added.api).toBe('workers');
    expect(added.workerId).toMatch(/[0-9a-f-]{36}/);
    expect(await client.workerUrls()).toEqual(['http://127.0.0.1:1234']);
    expect(await client.removeWorker('http://127.0.0.1:1234/')).toBe(true);
    expect(await client.workerUrls()).toEqual([]);
    expect(await client.removeWorker('http://127.0.0.1:1234')).toBe(false);
    expect(router.log).toContain(`DELETE /workers/${added.workerId}`);
  });

  it('falls back to the legacy routes when /workers answers 404', async () => {
    const router = await startFakeRouter({ legacy: true });
    const client = new RouterClient(router.url);
    open.push(router, client);
    expect(await client.addWorker('http://127.0.0.1:5555')).toEqual({ api: 'legacy' });
    expect(await client.workerUrls()).toEqual(['http://127.0.0.1:5555']);
    await client.removeWorker('http://127.0.0.1:5555');
    expect(await client.workerUrls()).toEqual([]);
    expect(router.log).toEqual([
      'POST /workers',
      'POST /add_worker?url=http%3A%2F%2F127.0.0.1%3A5555',
      'GET /workers',
      'GET /list_workers',
      'GET /workers',
      'POST /remove_worker?url=http%3A%2F%2F127.0.0.1%3A5555',
      'GET /workers',
      'GET /list_workers',
    ]);
  });
});
