/**
 * The dashboard server: one page, uPlot's files from node_modules, a step's samples as a trace
 * page, and a WebSocket that sends every connected page the run's points, then only new lines as
 * the run directory's files grow. Loopback by default; bound elsewhere it requires a token (given
 * or generated), checked on every request and on the socket.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Tokenizer } from '../../chat/tokenizer.ts';
import { InvalidInputError, PhysarumError } from '../../protocol/errors.ts';
import { esc } from '../escape.ts';
import { renderDashboardPage } from './page.ts';
import { RunWatch, type RunUpdate } from './run-watch.ts';
import { renderStepTrace, StepSamples, type StepSort } from './step-trace.ts';

export interface DashboardOptions {
  runDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Required off loopback; generated there when not given. */
  token?: string;
  /** How often the run's files are checked for new lines (default 100 ms). */
  pollMs?: number;
  tokenizer?: Pick<Tokenizer, 'decode'>;
  onProblem?: (line: string) => void;
}

export interface Dashboard {
  /** The page's address, with the token when there is one. */
  url: string;
  token: string | undefined;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  '/assets/uPlot.iife.min.js': { file: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { file: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function sameToken(given: string | null, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const root = path.resolve(options.runDir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new InvalidInputError(`run directory '${options.runDir}' does not exist`);
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? (isLoopback(host) ? undefined : randomBytes(18).toString('base64url'));
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  const problems: string[] = [];
  const sockets = new Set<WebSocket>();
  const broadcast = (message: unknown): void => {
    const text = JSON.stringify(message);
    for (const ws of sockets) ws.send(text);
  };
  const watch = new RunWatch(root, (line) => {
    problems.push(line);
    options.onProblem?.(line);
    broadcast({ type: 'problem', line });
  });
  const steps = new StepSamples(root);
  const title = path.basename(root);

  // Without a token, only requests addressed to a loopback name are served (no DNS rebinding).
  const allowed = (req: IncomingMessage, url: URL): boolean => {
    if (token) return sameToken(url.searchParams.get('token'), token);
    const hostname = (req.headers.host ?? '').replace(/:\d+$/, '');
    return isLoopback(hostname);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (!allowed(req, url)) return send(res, 403, 'text/plain; charset=utf-8', 'physarum dashboard: missing or wrong token\n');
    if (req.method !== 'GET') return send(res, 405, 'text/plain; charset=utf-8', 'GET only\n');
    if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', renderDashboardPage(title, query));
    const asset = ASSETS[url.pathname];
    if (asset) return send(res, 200, asset.type, readFileSync(require.resolve(asset.file)));
    if (url.pathname === '/api/points') return send(res, 200, 'application/json', JSON.stringify({ metrics: watch.metrics, evals: watch.evals, problems }));
    const step = /^\/step\/(\d+)$/.exec(url.pathname);
    if (step) {
      const n = Number(step[1]);
      const sortParam = url.searchParams.get('sort');
      const sort: StepSort = sortParam === 'reward-asc' || sortParam === 'reward-desc' ? sortParam : 'group';
      try {
        const layout = url.searchParams.get('layout') === 'pairs' ? 'pairs' : 'list';
        const html = renderStepTrace(n, steps.samples(n), { sort, layout, query, ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}) });
        return send(res, 200, 'text/html; charset=utf-8', html);
      } catch (error) {
        if (!PhysarumError.isInstance(error)) throw error;
        return send(res, 404, 'text/html; charset=utf-8', `<!doctype html><meta charset="utf-8"><p>${esc(error.message)}</p>`);
      }
    }
    send(res, 404, 'text/plain; charset=utf-8', `no such page: ${url.pathname}\n`);
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (url.pathname !== '/ws' || !allowed(req, url)) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
      const first: RunUpdate = { reset: true, metrics: watch.metrics, evals: watch.evals };
      ws.send(JSON.stringify({ type: 'update', ...first }));
      for (const line of problems.slice(-1)) ws.send(JSON.stringify({ type: 'problem', line }));
    });
  });

  watch.poll();
  watch.start(options.pollMs ?? 100, (update) => broadcast({ type: 'update', ...update }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new InvalidInputError(`cannot listen on ${host}:${options.port ?? 0}: ${error.code ?? error.message}`, { cause: error })),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/${query}`,
    token,
    async close() {
      watch.stop();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await steps.close();
    },
  };
}
