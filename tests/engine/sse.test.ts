import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatSseEvent, parseSseStream, SseWriter } from '../../src/engine/client/sse.ts';

async function collect(chunks: string[]): Promise<string[]> {
  async function* source() {
    for (const c of chunks) yield new TextEncoder().encode(c);
  }
  const out: string[] = [];
  for await (const payload of parseSseStream(source())) out.push(payload);
  return out;
}

describe('sse', () => {
  it('formats compact events and writes null for non-finite numbers (like orjson)', () => {
    expect(formatSseEvent({ a: [1, Number.NEGATIVE_INFINITY] })).toBe('data: {"a":[1,null]}\n\n');
  });

  it('parses events split at arbitrary byte boundaries and stops at [DONE]', async () => {
    const stream = 'data: {"x":1}\n\ndata: {"x":2}\n\ndata: [DONE]\n\ndata: {"x":3}\n\n';
    for (const size of [1, 3, 7, stream.length]) {
      const parts: string[] = [];
      for (let i = 0; i < stream.length; i += size) parts.push(stream.slice(i, i + size));
      expect(await collect(parts)).toEqual(['{"x":1}', '{"x":2}']);
    }
  });

  it('handles CRLF, comments, multi-line data and a stream without a trailing blank line', async () => {
    expect(await collect([': ping\r\ndata: a\r\ndata: b\r', '\n\r\nevent: x\ndata:c'])).toEqual(['a\nb', 'c']);
  });

  it('writes a real SSE response that the parser reads back', async () => {
    const server = createServer((_req, res) => {
      const writer = new SseWriter(res);
      writer.send({ n: 1 });
      writer.error('bad thing');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const payloads: unknown[] = [];
      for await (const p of parseSseStream(res.body!)) payloads.push(JSON.parse(p));
      expect(payloads).toEqual([
        { n: 1 },
        { error: { message: 'bad thing', type: 'invalid_request_error', code: 400, retryable: false } },
      ]);
    } finally {
      server.close();
    }
  });
});
