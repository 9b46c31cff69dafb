// The transport's buffered read: bodies that arrive in pieces, multi-byte characters cut between
// them, a leading BOM, headers, empty bodies and error statuses, against a real node HTTP server.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineTransport } from '../../src/engine/client/http-transport.ts';

let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/pieces') {
        // "é" (c3 a9) and "🙂" (f0 9f 99 82) split across writes.
        res.writeHead(200, { 'content-type': 'application/json', 'x-engine': 'test' });
        const bytes = Buffer.from(JSON.stringify({ text: 'é🙂'.repeat(3000) }));
        let at = 0;
        const step = (): void => {
          if (at >= bytes.length) return void res.end();
          res.write(bytes.subarray(at, at + 4097));
          at += 4097;
          setImmediate(step);
        };
        step();
      } else if (req.url === '/bom') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"ok": true}')]));
      } else if (req.url === '/empty') {
        res.writeHead(200);
        res.end();
      } else {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('overloaded');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('EngineTransport buffered reads', () => {
  it('joins a body that arrives in pieces, characters cut between them included, and keeps the headers', async () => {
    const transport = new EngineTransport(url, { retries: 0 });
    const res = await transport.send({ method: 'POST', path: '/pieces', body: { a: 1 }, retry: false });
    expect(JSON.parse(res.text)).toEqual({ text: 'é🙂'.repeat(3000) });
    expect(res.status).toBe(200);
    expect(res.headers['x-engine']).toBe('test');
    await transport.close();
  });

  it('drops a leading BOM as body.text() does, and reads an empty body as null', async () => {
    const transport = new EngineTransport(url, { retries: 0 });
    expect(await transport.json({ method: 'GET', path: '/bom', retry: false })).toEqual({ ok: true });
    expect(await transport.json({ method: 'GET', path: '/empty', retry: false })).toBeNull();
    await transport.close();
  });

  it('turns an error status into EngineHttpError with the body, after its retries', async () => {
    const transport = new EngineTransport(url, { retries: 1, retryBaseDelayMs: 1 });
    await expect(transport.send({ method: 'GET', path: '/busy', retry: true })).rejects.toMatchObject({ status: 503, message: expect.stringContaining('overloaded') });
    await transport.close();
  });
});
