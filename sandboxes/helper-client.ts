/**
 * The host side of the in-container helper (helper/*.py): one attached stdin/stdout stream
 * per sandbox, JSON lines each way, requests matched by id. An exec here is one write and one
 * read on an open socket; Docker's own exec costs three HTTP calls and a process setup per run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { AbortedError, PhysarumError, describeAbortReason } from '../src/protocol/errors.ts';
import type { z } from 'zod';
import { SandboxError } from './errors.ts';
import { HelperEventSchema, type HelperEvent } from './helper-messages.ts';

export type { HelperEvent } from './helper-messages.ts';

/** Default cap on one helper message (a JSON line): a read's base64 of up to ~34 MiB fits. */
export const DEFAULT_MAX_MESSAGE_CHARS = 48 << 20;

/** The helper's parts, in the order they are joined into the one program `python3 -c` runs. */
export const HELPER_PARTS = ['common.py', 'processes.py', 'files.py', 'snapshot.py', 'network.py', 'main.py'] as const;
export const HELPER_SOURCE = HELPER_PARTS.map((part) => readFileSync(path.join(import.meta.dirname, 'helper', part), 'utf8')).join('\n\n');

/** A failure the helper answered with (file not found, bad cwd): the operation's own error. */
export class HelperOpError extends PhysarumError {
  constructor(readonly kind: string, message: string) {
    super('PHYSARUM_FILE', message);
  }
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: unknown): void;
  onEvent?: (ev: HelperEvent) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Past this the helper is deemed hung: the request fails with `exec_timeout`. */
  deadlineMs: number;
  onEvent?: (ev: HelperEvent) => void;
  /** Sent to the helper when the signal fires (e.g. kill the command's process group). */
  onAbort?: (id: number) => void;
  /** The shape the result must have; anything else fails the sandbox as a protocol violation. */
  schema?: z.ZodType;
}

export class HelperConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The part of a line received so far (never re-scanned: each byte is looked at once). */
  private partial: string[] = [];
  private partialChars = 0;
  /** Characters looked at for newlines, over the connection's life (linear in what was received). */
  scannedChars = 0;
  /** Called once when the helper broke the protocol: the sandbox is removed. */
  onViolation: ((err: SandboxError) => void) | undefined;
  private stderrTail = '';
  private closed: SandboxError | undefined;
  private readyWaiter: { resolve(ev: HelperEvent): void; reject(err: unknown): void } | undefined;
  /** Explains why the stream ended (inspects the container); set by the sandbox. */
  explainDeath: (stderrTail: string) => Promise<SandboxError> = async (tail) =>
    new SandboxError('sandbox_died', `the sandbox helper exited${tail ? `: ${tail.trim().slice(-500)}` : ''}`);

  constructor(
    private readonly stream: Duplex,
    modem: Docker['modem'],
    readonly containerId: string,
    readonly maxMessageChars = DEFAULT_MAX_MESSAGE_CHARS,
  ) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    modem.demuxStream(stream, stdout, stderr);
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      // Nothing a sandbox sends may throw out of a stream handler (it would end the process).
      try {
        this.onStdout(chunk);
      } catch (err) {
        this.violation(`the helper's output could not be handled: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    const onEnd = (): void => void this.onClose();
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
  }

  get isOpen(): boolean {
    return this.closed === undefined;
  }

  waitReady(timeoutMs: number): Promise<HelperEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SandboxError('create_timeout', `helper not ready within ${timeoutMs} ms`, { containerId: this.containerId })), timeoutMs);
      this.readyWaiter = {
        resolve: (ev) => { clearTimeout(timer); resolve(ev); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
    });
  }

  /** Sends bytes for a later request to use (`upload` id): a header line, then the raw bytes. */
  async upload(upload: number, data: Buffer): Promise<void> {
    if (this.closed) throw this.closed;
    if (!this.stream.writable) throw new SandboxError('sandbox_died', 'the sandbox helper stream is closed', { containerId: this.containerId });
    this.stream.write(`${JSON.stringify({ op: 'upload', upload, size: data.length })}\n`);
    if (!this.stream.write(data)) {
      await new Promise<void>((resolve) => this.stream.once('drain', resolve));
    }
  }

  request<T>(op: string, payload: Record<string, unknown>, options: RequestOptions): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    if (options.signal?.aborted) return Promise.reject(new AbortedError(describeAbortReason(options.signal.reason)));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const timer = setTimeout(() => {
        cleanup();
        if (op === 'exec') this.fireAndForget({ id: this.nextId++, op: 'cancel', target: id });
        reject(new SandboxError('exec_timeout', `helper did not answer '${op}' within ${options.deadlineMs} ms`, { containerId: this.containerId }));
      }, options.deadlineMs);
      const onAbort = (): void => {
        cleanup();
        options.onAbort?.(id);
        reject(new AbortedError(describeAbortReason(options.signal?.reason), { cause: options.signal?.reason }));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (r) => {
          cleanup();
          if (options.schema) {
            const parsed = options.schema.safeParse(r);
            if (!parsed.success) {
              reject(this.violation(`the helper's answer to '${op}' is malformed: ${describeIssue(parsed.error)}`));
              return;
            }
            r = parsed.data;
          }
          resolve(r as T);
        },
        reject: (e) => { cleanup(); reject(e); },
        onEvent: options.onEvent,
      });
      if (!this.stream.writable) {
        // Our end is already shut (destroy raced this call): fail now, not at the deadline.
        this.pending.get(id)!.reject(this.closed ?? new SandboxError('sandbox_died', 'the sandbox helper stream is closed', { containerId: this.containerId }));
        return;
      }
      this.stream.write(`${JSON.stringify({ id, op, ...payload })}\n`);
    });
  }

  /** Writes a request whose answer nobody waits for (cancel after a timeout or abort). */
  fireAndForget(message: Record<string, unknown>): void {
    if (!this.closed && this.stream.writable) this.stream.write(`${JSON.stringify(message)}\n`);
  }

  nextRequestId(): number {
    return this.nextId++;
  }

  /**
   * Closes our end (the helper sees EOF and exits, which stops the container). With `reason`,
   * every call still waiting fails with it now, instead of with whatever the dying helper says.
   */
  end(reason?: SandboxError): void {
    if (reason && !this.closed) {
      this.closed = reason;
      for (const p of [...this.pending.values()]) p.reject(reason);
      this.pending.clear();
    }
    this.stream.end();
  }

  private onStdout(chunk: string): void {
    let start = 0;
    while (!this.closed) {
      const nl = chunk.indexOf('\n', start);
      const end = nl < 0 ? chunk.length : nl;
      this.scannedChars += end - start + (nl < 0 ? 0 : 1);
      if (this.partialChars + end - start > this.maxMessageChars) {
        this.violation(`a helper message exceeded ${this.maxMessageChars} characters`);
        return;
      }
      if (nl < 0) {
        if (end > start) {
          this.partial.push(start === 0 ? chunk : chunk.slice(start));
          this.partialChars += end - start;
        }
        return;
      }
      const piece = chunk.slice(start, nl);
      const line = this.partial.length > 0 ? this.partial.join('') + piece : piece;
      this.partial = [];
      this.partialChars = 0;
      if (line.trim()) this.dispatch(line);
      start = nl + 1;
    }
  }

  private dispatch(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.violation(`the helper sent a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    const parsed = HelperEventSchema.safeParse(raw);
    if (!parsed.success) {
      this.violation(`the helper sent a malformed message (${describeIssue(parsed.error)}): ${line.slice(0, 200)}`);
      return;
    }
    const ev = parsed.data;
    if (ev.ev === 'ready') {
      this.readyWaiter?.resolve(ev);
      this.readyWaiter = undefined;
      return;
    }
    const p = ev.id === null ? undefined : this.pending.get(ev.id);
    if (!p) return; // answer to a request that was aborted or timed out
    if (ev.ev !== 'done') {
      try {
        p.onEvent?.(ev);
      } catch (err) {
        this.violation(`handling the helper's '${ev.ev}' event failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    }
    if (ev.ok) p.resolve(ev.result);
    else p.reject(new HelperOpError(ev.error?.kind ?? 'internal', ev.error?.message ?? 'helper error'));
  }

  /**
   * The helper broke the protocol: this sandbox alone fails (every waiting call gets the typed
   * error, the stream is closed and the owner removes the container); nothing is thrown.
   */
  private violation(message: string): SandboxError {
    if (this.closed) return this.closed;
    const err = new SandboxError('protocol', message, { containerId: this.containerId });
    this.end(err);
    this.readyWaiter?.reject(err);
    this.readyWaiter = undefined;
    this.partial = [];
    this.partialChars = 0;
    this.onViolation?.(err);
    return err;
  }

  private async onClose(): Promise<void> {
    if (this.closed) return;
    this.closed = new SandboxError('sandbox_died', 'the sandbox helper stream closed', { containerId: this.containerId });
    const err = await this.explainDeath(this.stderrTail).catch(() => this.closed!);
    this.closed = err;
    this.readyWaiter?.reject(err);
    this.readyWaiter = undefined;
    for (const p of [...this.pending.values()]) p.reject(err);
    this.pending.clear();
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}
