/**
 * One sandbox: a hardened container with the helper attached. Lifecycle: (pool) create → use →
 * finalize (agent processes stopped; reward code can still exec and read) → destroy.
 * `await using sb = await pool.acquire(spec)` destroys it on scope exit.
 */
import type Docker from 'dockerode';
import type { LimitFunction } from 'p-limit';
import { throwIfAborted } from '../src/protocol/errors.ts';
import { statusCodeOf } from './docker-daemon.ts';
import { SandboxError, SandboxFileError, type SandboxFileErrorKind } from './errors.ts';
import { ExecStream, type ExecChunk } from './exec-stream.ts';
import type { ExecOptions, ExecResult, FileEntry, ListOptions } from './exec-types.ts';
import { HelperOpError, type HelperConnection, type HelperEvent } from './helper-client.ts';
import { ExecResultSchema, KillAllResultSchema, ListResultSchema, ReadResultSchema, WriteResultSchema, type RawExecResult } from './helper-messages.ts';
import type { z } from 'zod';
import type { ResolvedSandboxSpec } from './spec.ts';

const DEFAULT_TIMEOUT_MS = 300_000;
const DEFAULT_MAX_OUTPUT = 1 << 20;
const DEFAULT_HELPER_GRACE_MS = 15_000;
const FILE_OP_DEADLINE_MS = 60_000;

export type SandboxState = 'ready' | 'finalized' | 'destroyed';

export interface SandboxInit {
  docker: Docker;
  container: Docker.Container;
  helper: HelperConnection;
  spec: ResolvedSandboxSpec;
  key: string;
  image: string;
  execLimit: LimitFunction;
  /** How long past a command's timeout the helper may take to answer before it counts as hung. */
  helperGraceMs?: number;
  onDestroy?: (sandbox: Sandbox) => void;
}

export class Sandbox implements AsyncDisposable {
  readonly id: string;
  readonly spec: ResolvedSandboxSpec;
  /** Pool key: sandboxes with the same key are interchangeable (image, setup, limits, env). */
  readonly key: string;
  /** The image the container runs (base, env or setup image). */
  readonly image: string;
  private stateValue: SandboxState = 'ready';
  /** Environment every exec starts from (a verification room's clean Python settings). */
  private baseEnv: Record<string, string> | undefined;
  private destroying: Promise<void> | undefined;

  /** @internal */
  constructor(private readonly init: SandboxInit) {
    this.id = init.container.id;
    this.spec = init.spec;
    this.key = init.key;
    this.image = init.image;
  }

  get state(): SandboxState {
    return this.stateValue;
  }

  /** False once destroyed or once the container died. */
  get isAlive(): boolean {
    return this.stateValue !== 'destroyed' && this.init.helper.isOpen;
  }

  /** Runs a command (a string goes to `bash -c`; an array is argv) and collects its output. */
  exec(cmd: string | string[], options: ExecOptions = {}): Promise<ExecResult> {
    return this.runExec(cmd, options, undefined);
  }

  /** Like `exec`, streaming stdout/stderr chunks as they come; `wait()` gives the result. */
  execStream(cmd: string | string[], options: ExecOptions = {}): ExecStream {
    return new ExecStream((push) => this.runExec(cmd, options, push));
  }

  async readFile(path: string, options: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<string> {
    return (await this.readFileBytes(path, options)).toString('utf8');
  }

  async readFileBytes(path: string, options: { signal?: AbortSignal; maxBytes?: number } = {}): Promise<Buffer> {
    // Without maxBytes the helper refuses a file whose answer would not fit in one message.
    const limit = Math.floor(this.init.helper.maxMessageChars * 0.7);
    const r = await this.fileOp<{ data: string }>('read', path, { path, maxBytes: options.maxBytes, limit }, options.signal, ReadResultSchema);
    return Buffer.from(r.data, 'base64');
  }

  async writeFile(path: string, content: string | Uint8Array, options: { signal?: AbortSignal; mode?: number; append?: boolean } = {}): Promise<void> {
    const data = Buffer.from(content).toString('base64');
    await this.fileOp('write', path, { path, data, mode: options.mode, append: options.append }, options.signal, WriteResultSchema);
  }

  async listFiles(path = '.', options: ListOptions = {}): Promise<FileEntry[]> {
    const r = await this.fileOp<{ entries: FileEntry[] }>('list', path, {
      path, maxDepth: options.maxDepth ?? 1, maxEntries: options.maxEntries ?? 10_000, includeHidden: options.includeHidden ?? true,
    }, options.signal, ListResultSchema);
    return r.entries;
  }

  /**
   * Ends the agent's phase: kills every process in the sandbox but the helper (background jobs
   * included). The files stay, and exec still works, so reward code can inspect and run tests.
   */
  async finalize(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertUsable();
    if (this.stateValue === 'finalized') return;
    const r = await this.request<{ remaining?: string[] }>('killAll', {}, options.signal, FILE_OP_DEADLINE_MS, undefined, KillAllResultSchema);
    // Only init and the helper may be left: anything else survived SIGKILL from the helper (or
    // the helper is not ours), so nothing this sandbox says can be trusted any more.
    if (!Array.isArray(r.remaining) || r.remaining.length > 0) {
      const left = Array.isArray(r.remaining) ? r.remaining.slice(0, 5).join('; ') : 'the helper did not say';
      const err = new SandboxError('untrusted', `processes other than init and the helper survived finalize: ${left}`, { containerId: this.id, agentCaused: true });
      this.init.helper.end(err);
      throw err;
    }
    this.stateValue = 'finalized';
  }

  /** Removes the container. Idempotent; never throws for a container that is already gone. */
  destroy(): Promise<void> {
    if (!this.destroying) {
      this.stateValue = 'destroyed';
      this.init.onDestroy?.(this);
      // Calls still in flight end as 'destroyed' (our doing), not as a killed command or a died sandbox.
      const destroyed = new SandboxError('destroyed', `sandbox ${this.id.slice(0, 12)} was destroyed`, { containerId: this.id });
      this.destroying = (async () => {
        this.init.helper.end(destroyed);
        try {
          await this.init.container.remove({ force: true, v: true });
        } catch (err) {
          const status = statusCodeOf(err);
          // 404: gone (auto-removed); 409: removal already in progress. Otherwise the reaper retries.
          if (status !== 404 && status !== 409) return;
        }
      })();
    }
    return this.destroying;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  /** @internal Set by the pool on a verification room. */
  useBaseEnv(env: Record<string, string>): void {
    this.baseEnv = env;
  }

  /** @internal The container, for the pool (changes, inspect). */
  get container(): Docker.Container {
    return this.init.container;
  }

  /** @internal */
  get helper(): HelperConnection {
    return this.init.helper;
  }

  /** @internal A helper request with sandbox error mapping. */
  async request<T>(op: string, payload: Record<string, unknown>, signal: AbortSignal | undefined, deadlineMs: number, onEvent?: (ev: HelperEvent) => void, schema?: z.ZodType): Promise<T> {
    this.assertUsable();
    throwIfAborted(signal);
    return this.init.helper.request<T>(op, payload, { signal, deadlineMs, onEvent, schema });
  }

  /**
   * A failure while the agent's processes may run (before `finalize`) that only they can cause
   * (OOM, full disk, a hung or dead sandbox) is the agent's doing; see `SandboxError.agentCaused`.
   */
  private attribute(err: unknown): unknown {
    return err instanceof SandboxError && this.stateValue === 'ready' ? err.asAgentCaused() : err;
  }

  private assertUsable(): void {
    if (this.stateValue === 'destroyed') throw new SandboxError('destroyed', `sandbox ${this.id.slice(0, 12)} was destroyed`, { containerId: this.id });
  }

  private async runExec(cmd: string | string[], options: ExecOptions, push: ((chunk: ExecChunk) => void) | undefined): Promise<ExecResult> {
    this.assertUsable();
    throwIfAborted(options.signal);
    if (typeof cmd === 'string' ? cmd.length === 0 : cmd.length === 0) throw new SandboxError('protocol', 'exec needs a non-empty command');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const payload = {
      ...(typeof cmd === 'string' ? { cmd } : { argv: cmd }),
      env: this.baseEnv ? { ...this.baseEnv, ...options.env } : options.env,
      cwd: options.cwd,
      timeoutMs: Number.isFinite(timeoutMs) ? timeoutMs : undefined,
      // Both streams' base64 must fit in one helper message.
      maxOutputBytes: Math.min(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT, Math.floor(this.init.helper.maxMessageChars / 3)),
      truncate: options.truncate ?? 'head',
      stdin: options.stdin === undefined ? undefined : Buffer.from(options.stdin).toString('base64'),
      stream: push !== undefined,
    };
    const onEvent = push && ((ev: HelperEvent): void => {
      if (ev.ev === 'out' && ev.data !== undefined) push({ stream: ev.stream ?? 'stdout', data: Buffer.from(ev.data, 'base64') });
    });
    const grace = this.init.helperGraceMs ?? DEFAULT_HELPER_GRACE_MS;
    const raw = await this.init.execLimit(async () => {
      throwIfAborted(options.signal);
      try {
        return await this.init.helper.request<RawExecResult>('exec', payload, {
          signal: options.signal,
          deadlineMs: Math.min((Number.isFinite(timeoutMs) ? timeoutMs : 2 ** 31) + grace, 2 ** 31 - 1),
          onEvent,
          schema: ExecResultSchema,
          onAbort: (id) => this.init.helper.fireAndForget({ id: this.init.helper.nextRequestId(), op: 'cancel', target: id }),
        });
      } catch (err) {
        if (err instanceof HelperOpError) {
          // The helper could not start the command (bad cwd, pids limit): an answer, not a crash.
          return { exitCode: err.kind === 'not_found' ? 127 : 126, signal: null, timedOut: false, cancelled: false, oomKilled: false, truncated: false, stdout: '', stderr: Buffer.from(`${err.message}\n`).toString('base64'), durationMs: 0 } satisfies RawExecResult;
        }
        throw this.attribute(err);
      }
    });
    if (raw.diskFull) {
      throw this.attribute(new SandboxError('disk_limit', `${raw.diskFull}; its processes were killed`, { containerId: this.id }));
    }
    if (raw.oomKilled) {
      throw this.attribute(new SandboxError('oom', `command was killed for exceeding the ${this.spec.limits.memoryMb} MiB memory limit`, { containerId: this.id }));
    }
    return {
      exitCode: raw.exitCode,
      signal: raw.signal,
      stdout: Buffer.from(raw.stdout, 'base64').toString('utf8'),
      stderr: Buffer.from(raw.stderr, 'base64').toString('utf8'),
      truncated: raw.truncated,
      timedOut: raw.timedOut,
      durationMs: raw.durationMs,
    };
  }

  private async fileOp<T>(op: string, path: string, payload: Record<string, unknown>, signal: AbortSignal | undefined, schema: z.ZodType): Promise<T> {
    try {
      return await this.init.execLimit(() => this.request<T>(op, payload, signal, FILE_OP_DEADLINE_MS, undefined, schema));
    } catch (err) {
      if (err instanceof HelperOpError) throw new SandboxFileError(err.kind as SandboxFileErrorKind, path, err.message);
      throw this.attribute(err);
    }
  }
}
