// A minimal stand-in for sglang-router's worker-management API (tests only): the current
// `/workers` routes, or (legacy: true) only `/add_worker`, `/remove_worker`, `/list_workers`.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRouter {
  url: string;
  workers: Map<string, string>;
  log: string[];
  close(): Promise<void>;
}

export async function startFakeRouter(options: { legacy?: boolean; port?: number; host?: string; workerUrls?: string[] } = {}): Promise<FakeRouter> {
  const workers = new Map<string, string>(); // id → url
  const log: string[] = [];
  for (const url of options.workerUrls ?? []) workers.set(randomUUID(), url);
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url!, 'http://x');
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    log.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/health' || url.pathname === '/readiness') return send(200, {});
    if (options.legacy) {
      if (req.method === 'POST' && url.pathname === '/add_worker') {
        workers.set(randomUUID(), url.searchParams.get('url')!);
        res.writeHead(200);
        return res.end('Successfully added worker');
      }
      if (req.method === 'POST' && url.pathname === '/remove_worker') {
        for (const [id, u] of workers) if (u === url.searchParams.get('url')) workers.delete(id);
        res.writeHead(200);
        return res.end('Successfully removed worker');
      }
      if (req.method === 'GET' && url.pathname === '/list_workers') return send(200, { urls: [...workers.values()] });
      res.writeHead(404);
      return res.end();
    }
    if (req.method === 'GET' && url.pathname === '/workers')
      return send(200, { workers: [...workers].map(([id, u]) => ({ id, url: u, is_healthy: true })), total: workers.size, stats: {} });
    if (req.method === 'POST' && url.pathname === '/workers') {
      const id = randomUUID();
      workers.set(id, (JSON.parse(body) as { url: string }).url);
      return send(202, { status: 'accepted', worker_id: id, location: `/workers/${id}`, message: 'Worker addition queued for background processing' });
    }
    const match = /^\/workers\/(.+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && match) {
      if (!workers.delete(match[1]!)) return send(404, { error: 'Worker not found', code: 'WORKER_NOT_FOUND' });
      return send(202, { status: 'accepted', worker_id: match[1] });
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    workers,
    log,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
