import { afterEach, describe, expect, it } from 'vitest';
import { routerProblems } from '../../src/engine/client/router-compat.ts';
import { RouterClient } from '../../src/engine/client/router-client.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { startFakeRouter } from './fake-router.ts';

const open: Array<{ close(): Promise<void> }> = [];
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

describe('router compatibility of /generate bodies', () => {
  it('lists what the router would drop or refuse', () => {
    expect(routerProblems({ input_ids: [1], rid: 'a', sampling_params: { max_new_tokens: 8, temperature: 1 }, return_logprob: true })).toEqual([]);
    expect(
      routerProblems({ text: ['a', 'b'], rid: ['x', 'y'], routed_dp_rank: 0, sampling_params: { max_new_tokens: null, logit_bias: { '1': 2 } } }),
    ).toEqual([
      "'routed_dp_rank' is dropped by the router",
      "a list 'text' is rejected by the router (send input_ids batches or one request per prompt)",
      "a list 'rid' is rejected by the router",
      'sampling_params.max_new_tokens: null is dropped by the router (the worker then uses 128)',
      'sampling_params.logit_bias is dropped by the router',
    ]);
  });

  it('a behindRouter client refuses such a body before sending it', async () => {
    const client = new SglangClient('http://127.0.0.1:9', { behindRouter: true });
    open.push(client);
    await expect(client.generate({ input_ids: [1], sampling_params: { max_new_tokens: null } })).rejects.toThrow(
      /would not arrive intact: sampling_params.max_new_tokens: null/,
    );
  });
});
