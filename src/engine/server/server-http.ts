/**
 * Small node:http helpers for servers that mimic SGLang's FastAPI front end: body reading, the
 * orjson-like compact JSON writer, and FastAPI's 404/405 bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidInputError } from '../../protocol/errors.ts';

/** 512 MiB, the router's `--max-payload-size` default; bigger bodies are refused with 413. */
const MAX_BODY_BYTES = 512 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new InvalidInputError(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** 200 with an empty body (upstream's `/close_session`, `/abort_request`, `/health`). */
export function sendEmpty(res: ServerResponse, status = 200): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

export const notFound = (res: ServerResponse): void => sendJson(res, 404, { detail: 'Not Found' });
export const methodNotAllowed = (res: ServerResponse): void => sendJson(res, 405, { detail: 'Method Not Allowed' });

/** The OpenAI-style error envelope SGLang uses for request validation and OpenAI routes. */
export function openAiError(res: ServerResponse, status: number, message: string, type = 'BadRequestError'): void {
  sendJson(res, status, { object: 'error', message, type, param: null, code: status });
}

/** Parse a JSON body, answering 400 (FastAPI style) itself when it is malformed. */
export function parseJsonBody(res: ServerResponse, text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    openAiError(res, 400, `JSON decode error: ${(error as Error).message}`, 'Bad Request');
    return { ok: false };
  }
}

/** A field check for control bodies: answers the 400 pydantic-style envelope when it fails. */
export function requireField(res: ServerResponse, body: Record<string, unknown>, field: string, type: 'string' | 'number' | 'array'): boolean {
  const value = body[field];
  const good = type === 'array' ? Array.isArray(value) : typeof value === type;
  if (good) return true;
  const message = value === undefined ? `1 validation error\n${field}\n  Field required [type=missing]` : `1 validation error\n${field}\n  Input should be a valid ${type}`;
  openAiError(res, 400, message, 'Bad Request');
  return false;
}
