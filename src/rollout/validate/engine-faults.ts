/**
 * An HTTP proxy in front of an engine that breaks it on cue, so `physarum validate` can check an
 * env's episodes end with a typed status when the infrastructure fails (contract 3). It counts
 * `/generate` requests; at request `atRequest` it either dies (every socket destroyed, the port
 * closed: the in-flight turn is cut and retries are refused) or answers HTTP 503 from then on.
 * `beforeRequest` lets a fault elsewhere (a sandbox removed) happen at that same moment.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type EngineFault = { kind: 'none' } | { kind: 'dies' | 'http_503'; atRequest: number };

export interface FaultProxyOptions {
  target: string;
  fault: EngineFault;
  /** Awaited before `/generate` request n (1-based) is forwarded. */
  beforeRequest?: (n: number) => Promise<void> | void;
}

export interface FaultProxy {
  url: string;
  /** `/generate` requests seen so far. */
  readonly generateRequests: number;
  close(): Promise<void>;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const sockets = new Set<Socket>();
  let generateRequests = 0;
  let dead = false;

  const die = (): void => {
    dead = true;
    server.close();
    for (const socket of sockets) socket.destroy();
  };

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const isGenerate = (req.url ?? '').split('?')[0] === '/generate';
    if (isGenerate) {
      const n = ++generateRequests;
      await options.beforeRequest?.(n);
      const { fault } = options;
      if (fault.kind === 'dies' && n >= fault.atRequest) return die();
      if (fault.kind === 'http_503' && n >= fault.atRequest) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `injected by physarum validate: the engine is unavailable (request ${n})` } }));
        return;
      }
    }
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    // A client that goes away (abort) takes its upstream request with it, as a disconnect does.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    if (dead) return void req.socket.destroy();
    forward(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get generateRequests() {
      return generateRequests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
