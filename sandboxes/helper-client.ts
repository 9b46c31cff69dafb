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
import { SandboxError } from './errors.ts';

/** The helper's parts, in the order they are joined into the one program `python3 -c` runs. */
export const HELPER_PARTS = ['common.py', 'processes.py', 'files.py', 'snapshot.py', 'main.py'] as const;
export const HELPER_SOURCE = HELPER_PARTS.map((part) => readFileSync(path.join(import.meta.dirname, 'helper', part), 'utf8')).join('\n\n');

export interface HelperEvent {
  id?: number;
  ev: 'ready' | 'out' | 'chunk' | 'done';
  ok?: boolean;
  result?: unknown;
  error?: { kind: string; message: string };
  stream?: 'stdout' | 'stderr';
  data?: string;
  [key: string]: unknown;
}

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
}

export class HelperConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffered = '';
  private stderrTail = '';
  private closed: SandboxError | undefined;
  private readyWaiter: { resolve(ev: HelperEvent): void; reject(err: unknown): void } | undefined;
  /** Explains why the stream ended (inspects the container); set by the sandbox. */
  explainDeath: (stderrTail: string) => Promise<SandboxError> = async (tail) =>
    new SandboxError('sandbox_died', `the sandbox helper exited${tail ? `: ${tail.trim().slice(-500)}` : ''}`);

  constructor(private readonly stream: Duplex, modem: Docker['modem'], readonly containerId: string) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    modem.demuxStream(stream, stdout, stderr);
    stdout.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
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
        resolve: (r) => { cleanup(); resolve(r as T); },
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
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (line.trim()) this.dispatch(line);
    }
  }

  private dispatch(line: string): void {
    let ev: HelperEvent;
    try {
      ev = JSON.parse(line) as HelperEvent;
    } catch {
      this.stderrTail = (this.stderrTail + `\nunparsable helper line: ${line.slice(0, 200)}`).slice(-4000);
      return;
    }
    if (ev.ev === 'ready') {
      this.readyWaiter?.resolve(ev);
      this.readyWaiter = undefined;
      return;
    }
    const p = ev.id === undefined ? undefined : this.pending.get(ev.id);
    if (!p) return; // answer to a request that was aborted or timed out
    if (ev.ev !== 'done') {
      p.onEvent?.(ev);
      return;
    }
    if (ev.ok) p.resolve(ev.result);
    else p.reject(new HelperOpError(ev.error?.kind ?? 'internal', ev.error?.message ?? 'helper error'));
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
