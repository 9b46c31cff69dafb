/**
 * SandboxPool: the one way to get sandboxes. Resolves a spec to an image (base, env Dockerfile,
 * cached setup), hands out warm sandboxes when it has them (refilling in the background),
 * forks a prepared sandbox into a group, and reaps leaks at start and periodically.
 * Creation and exec have separate concurrency budgets (Docker daemons choke on bursts of creates long
 * before they run out of exec capacity).
 */
import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { AbortedError, throwIfAborted } from '../src/protocol/errors.ts';
import { createSandbox } from './create-sandbox.ts';
import { connectDocker, pingEngine } from './docker-daemon.ts';
import { SandboxError } from './errors.ts';
import { restoreSnapshot, takeSnapshot } from './fork.ts';
import { resolveSandboxImage } from './images.ts';
import { reapSandboxes } from './reaper.ts';
import type { Sandbox } from './sandbox.ts';
import { furnishRoom } from './verification-room.ts';
import { parseSandboxSpec, poolKey, type ResolvedSandboxSpec, type SandboxSpec } from './spec.ts';

export interface SandboxPoolOptions {
  /** Labels every container; defaults to a fresh id. */
  runId?: string;
  /** Spare sandboxes kept ready per spec (after its first use or `prewarm`). Default 0. */
  warm?: number;
  /** Concurrency of container creation and of exec/file calls: a count, or a shared limiter (e.g. the rollout's stage budgets). */
  budgets?: { create?: number | LimitFunction; exec?: number | LimitFunction };
  docker?: Docker;
  /** A sandbox older than this is a leak and gets reaped. Default 6 h. */
  ttlMs?: number;
  createTimeoutMs?: number;
  /** Fresh-container retries of a failed create (timeout, Docker daemon hiccup). Default 2. */
  createRetries?: number;
  /** How long past a command's own timeout a silent helper is given before `exec_timeout`. Default 15 s. */
  helperGraceMs?: number;
  /** Cap on one message (JSON line) from a sandbox's helper; a sandbox that sends more fails. Default 48 Mi characters. */
  maxHelperMessageChars?: number;
  /** Periodic reaping; 0 turns it off. Default 60 s. */
  reapIntervalMs?: number;
  log?: (line: string) => void;
}

interface KeyState {
  spec: ResolvedSandboxSpec;
  image: string;
  ready: Sandbox[];
  /** Warm creations in flight. */
  fills: Set<Promise<void>>;
  target: number;
}

export interface PoolStats {
  live: number;
  warm: number;
  created: number;
  warmHits: number;
  coldStarts: number;
  /** Creates repeated after a retryable failure. */
  createRetries: number;
  reaped: number;
  refillErrors: number;
  /** The message of the latest failed background refill, if any. */
  lastRefillError: string | undefined;
}

export class SandboxPool implements AsyncDisposable {
  readonly runId: string;
  private readonly docker: Docker;
  private readonly createLimit: LimitFunction;
  private readonly execLimit: LimitFunction;
  private readonly warm: number;
  private readonly ttlMs: number;
  private readonly createTimeoutMs: number;
  private readonly createRetries: number;
  private readonly helperGraceMs: number | undefined;
  private readonly maxHelperMessageChars: number | undefined;
  private readonly log: ((line: string) => void) | undefined;
  private readonly specs = new Map<string, Promise<KeyState>>();
  private readonly live = new Set<Sandbox>();
  private readonly counters = { created: 0, warmHits: 0, coldStarts: 0, createRetries: 0, reaped: 0, refillErrors: 0 };
  private started: Promise<void> | undefined;
  private reapTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastRefillError: unknown;

  constructor(options: SandboxPoolOptions = {}) {
    this.runId = options.runId ?? randomUUID();
    this.docker = connectDocker(options.docker);
    this.createLimit = asLimit(options.budgets?.create ?? 4);
    this.execLimit = asLimit(options.budgets?.exec ?? 32);
    this.warm = options.warm ?? 0;
    this.ttlMs = options.ttlMs ?? 6 * 3_600_000;
    this.createTimeoutMs = options.createTimeoutMs ?? 120_000;
    this.createRetries = options.createRetries ?? 2;
    this.helperGraceMs = options.helperGraceMs;
    this.maxHelperMessageChars = options.maxHelperMessageChars;
    this.log = options.log;
    const every = options.reapIntervalMs ?? 60_000;
    if (every > 0) {
      this.reapTimer = setInterval(() => void this.reap().catch(() => undefined), every);
      this.reapTimer.unref();
    }
  }

  /** A sandbox for `spec`: a warm one if ready, else a cold create. */
  async acquire(spec: SandboxSpec, { signal }: { signal?: AbortSignal } = {}): Promise<Sandbox> {
    const state = await this.stateFor(spec, signal);
    const sandbox = this.takeWarm(state) ?? (await this.createCold(state, signal));
    this.refill(state);
    return sandbox;
  }

  /** Fills the warm set of `spec` to `count` (default: the pool's `warm`) and waits for it. */
  async prewarm(spec: SandboxSpec, { count, signal }: { count?: number; signal?: AbortSignal } = {}): Promise<void> {
    const state = await this.stateFor(spec, signal);
    const want = count ?? this.warm;
    state.target = Math.max(state.target, want);
    for (let i = state.ready.length + state.fills.size; i < want; i++) this.addWarm(state, signal).catch(() => undefined);
    // Wait for every fill in flight (the background refill's too), surfacing the first failure.
    await Promise.all([...state.fills]);
  }

  /**
   * N copies of a prepared sandbox, each in the prepared file state and isolated from the others
   * (and from the original, which stays usable). Warm sandboxes of the same key are used first.
   */
  async fork(prepared: Sandbox, n: number, { signal }: { signal?: AbortSignal } = {}): Promise<Sandbox[]> {
    if (!Number.isInteger(n) || n < 1) throw new SandboxError('fork_failed', `fork needs a positive integer count, got ${n}`);
    const state = await this.specs.get(prepared.key);
    if (!state || !this.live.has(prepared)) throw new SandboxError('fork_failed', 'fork takes a live sandbox acquired from this pool', { containerId: prepared.id });
    const copies: Sandbox[] = [];
    // Copies are taken (or cold-created) while the prepared sandbox packs its state.
    const targets = Array.from({ length: n }, async () => {
      const sb = this.takeWarm(state) ?? (await this.createCold(state, signal));
      copies.push(sb);
      return sb;
    });
    try {
      const snapshot = takeSnapshot(prepared, signal);
      snapshot.catch(() => undefined);
      const made = await Promise.allSettled(
        targets.map(async (target) => {
          const sb = await target;
          await restoreSnapshot(sb, await snapshot, signal);
          return sb;
        }),
      );
      const failed = made.find((m): m is PromiseRejectedResult => m.status === 'rejected');
      if (failed) throw failed.reason;
      this.refill(state);
      return made.map((m) => (m as PromiseFulfilledResult<Sandbox>).value);
    } catch (err) {
      await Promise.allSettled(targets);
      await Promise.all(copies.map((c) => c.destroy()));
      if (err instanceof SandboxError || err instanceof AbortedError) throw err;
      throw new SandboxError('fork_failed', err instanceof Error ? err.message : String(err), { cause: err, containerId: prepared.id });
    }
  }

  /**
   * A fresh sandbox of the agent's task (same image and setup) holding only the agent's changes
   * under `paths` (default: the spec's `verifyPaths`); see verification-room.ts. Destroy it after scoring.
   */
  async verificationRoom(agentSandbox: Sandbox, { paths, signal }: { paths?: readonly string[]; signal?: AbortSignal } = {}): Promise<Sandbox> {
    const state = await this.specs.get(agentSandbox.key);
    if (!state || !this.live.has(agentSandbox)) throw new SandboxError('fork_failed', 'a verification room takes a live sandbox acquired from this pool', { containerId: agentSandbox.id });
    const room = this.takeWarm(state) ?? (await this.createCold(state, signal));
    this.refill(state);
    try {
      await furnishRoom(agentSandbox, room, paths ?? agentSandbox.spec.verifyPaths, signal);
      return room;
    } catch (err) {
      await room.destroy();
      throw err;
    }
  }

  /** Removes leaked sandboxes (dead owner or expired). Runs at first use and periodically. */
  async reap({ signal }: { signal?: AbortSignal } = {}): Promise<string[]> {
    const removed = await reapSandboxes(this.docker, { ownRunId: this.runId, signal });
    this.counters.reaped += removed.length;
    return removed;
  }

  stats(): PoolStats {
    let warm = 0;
    for (const s of this.liveStates) warm += s.ready.length;
    const lastRefillError = this.lastRefillError === undefined ? undefined : String((this.lastRefillError as Error).message ?? this.lastRefillError);
    return { live: this.live.size, warm, ...this.counters, lastRefillError };
  }

  /** Destroys every sandbox of this pool (handed out or warm) and stops reaping. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reapTimer);
    for (const s of this.liveStates) s.target = 0;
    await Promise.all([...this.live].map((sb) => sb.destroy()));
    // Creations still in flight destroy themselves when they land (see addWarm).
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private readonly liveStates = new Set<KeyState>();

  private start(signal?: AbortSignal): Promise<void> {
    this.started ??= (async () => {
      await pingEngine(this.docker, { signal });
      await this.reap({ signal });
    })();
    this.started.catch(() => (this.started = undefined));
    return this.started;
  }

  private async stateFor(spec: SandboxSpec, signal?: AbortSignal): Promise<KeyState> {
    if (this.closed) throw new SandboxError('destroyed', 'the sandbox pool is closed');
    throwIfAborted(signal);
    const resolved = parseSandboxSpec(spec);
    await this.start(signal);
    const specKey = JSON.stringify(resolved);
    let p = this.specs.get(specKey);
    if (!p) {
      p = (async () => {
        const image = await resolveSandboxImage(this.docker, resolved, { signal, log: this.log });
        const key = poolKey(image, resolved);
        const existing = this.specs.get(key);
        if (existing) return existing;
        const state: KeyState = { spec: resolved, image, ready: [], fills: new Set(), target: this.warm };
        this.liveStates.add(state);
        return state;
      })();
      this.specs.set(specKey, p);
      p.then((s) => this.specs.set(poolKey(s.image, s.spec), Promise.resolve(s)), () => this.specs.delete(specKey));
    }
    return p;
  }

  private takeWarm(state: KeyState): Sandbox | undefined {
    while (state.ready.length > 0) {
      const sb = state.ready.shift()!;
      if (sb.isAlive) {
        this.counters.warmHits++;
        return sb;
      }
      void sb.destroy();
    }
    return undefined;
  }

  private async createCold(state: KeyState, signal?: AbortSignal): Promise<Sandbox> {
    this.counters.coldStarts++;
    return this.create(state, signal);
  }

  /**
   * A create with retries: Docker daemons fail single creates now and then (socket resets, slow starts
   * under a burst), and each retry is a fresh container. Aborts, a closed pool and broken images
   * are not retried.
   */
  private async create(state: KeyState, signal?: AbortSignal): Promise<Sandbox> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.createOnce(state, signal);
      } catch (err) {
        const retryable = err instanceof SandboxError && err.isRetryable && !signal?.aborted && !this.closed;
        if (!retryable || attempt >= this.createRetries) throw err;
        this.counters.createRetries++;
        this.log?.(`sandbox pool: create failed (${err.message}); retrying with a fresh container`);
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  private createOnce(state: KeyState, signal?: AbortSignal): Promise<Sandbox> {
    return this.createLimit(async () => {
      throwIfAborted(signal);
      if (this.closed) throw new SandboxError('destroyed', 'the sandbox pool is closed');
      const sb = await createSandbox(this.docker, {
        image: state.image, spec: state.spec, key: poolKey(state.image, state.spec), runId: this.runId,
        ttlMs: this.ttlMs, execLimit: this.execLimit, createTimeoutMs: this.createTimeoutMs, helperGraceMs: this.helperGraceMs, maxMessageChars: this.maxHelperMessageChars, signal,
        onDestroy: (s) => {
          this.live.delete(s);
          const i = state.ready.indexOf(s);
          if (i >= 0) state.ready.splice(i, 1);
        },
      });
      this.counters.created++;
      this.live.add(sb);
      if (this.closed) {
        await sb.destroy();
        throw new SandboxError('destroyed', 'the sandbox pool closed during creation');
      }
      return sb;
    });
  }

  private addWarm(state: KeyState, signal?: AbortSignal): Promise<void> {
    const fill = this.create(state, signal).then((sb) => {
      state.ready.push(sb);
    });
    state.fills.add(fill);
    const done = (): void => void state.fills.delete(fill);
    fill.then(done, done);
    return fill;
  }

  /** Background top-up of the warm set; failures are counted, and the next acquire goes cold. */
  private refill(state: KeyState): void {
    for (let i = state.ready.length + state.fills.size; i < state.target && !this.closed; i++) {
      this.addWarm(state).catch((err: unknown) => {
        if (this.closed) return;
        this.counters.refillErrors++;
        this.lastRefillError = err;
        this.log?.(`sandbox pool: warm refill failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  }
}

function asLimit(budget: number | LimitFunction): LimitFunction {
  return typeof budget === 'function' ? budget : pLimit(budget);
}
