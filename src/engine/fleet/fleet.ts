/**
 * An SGLang fleet: spawned engines (from a FleetPlan) or external ones (`--engine-urls`),
 * optionally behind a router. The fleet waits for `/health`, registers workers with the router,
 * watches `/health_generate`, and restarts a failed engine with backoff while it is out of
 * rotation. It is the `EngineRotation` WeightSync updates: an engine that misses an update is
 * taken out until a later update reaches it, and a restarted engine is brought to the latest
 * disk weights before it serves again.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PhysarumError } from '../../protocol/errors.ts';
import { spawnGroup, terminate } from './child-process.ts';
import type { FleetPlan, LaunchCommand } from './fleet-plan.ts';
import { sleep } from '../client/http-transport.ts';
import { RouterClient } from '../client/router-client.ts';
import { SglangClient, type SglangClientOptions } from '../client/sglang-client.ts';
import type { AppliedWeights, EngineRotation, RotationMember } from './engine-rotation.ts';

export class FleetError extends PhysarumError {
  constructor(message: string, cause?: unknown) {
    super('PHYSARUM_FLEET', message, { cause });
  }
}

/** `stale`: alive but missed a weight update; out of rotation until an update reaches it. */
export type EngineState = 'starting' | 'healthy' | 'unhealthy' | 'restarting' | 'stale' | 'failed' | 'stopped';

export interface FleetEngine {
  readonly index: number;
  readonly url: string;
  readonly client: SglangClient;
  readonly state: EngineState;
  readonly inRotation: boolean;
  readonly restarts: number;
  readonly lastError: string | undefined;
  readonly pid: number | undefined;
}

export interface FleetOptions {
  /** Engines (and maybe a router) to spawn. */
  plan?: FleetPlan;
  /** Or engines that already run elsewhere: health-watched and registered, never spawned. */
  engineUrls?: string[];
  /** An already running router to register workers with (a spawned plan router is used otherwise). */
  routerUrl?: string;
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Consecutive failed `/health_generate` probes before an engine is recovered (default 2). */
  failureThreshold?: number;
  startupTimeoutMs?: number;
  restartBackoffMs?: number;
  restartBackoffMaxMs?: number;
  maxRestarts?: number;
  /** Rewrite each launch command before spawning (e.g. to run scripted engines instead of SGLang). */
  rewriteCommand?: (launch: LaunchCommand) => LaunchCommand;
  env?: NodeJS.ProcessEnv;
  onLog?: (source: string, line: string) => void;
  clientOptions?: SglangClientOptions;
}

interface Slot {
  index: number;
  url: string;
  client: SglangClient;
  state: EngineState;
  inRotation: boolean;
  restarts: number;
  lastError: string | undefined;
  launch: LaunchCommand | undefined;
  child: ChildProcess | undefined;
  exit: string | undefined;
  failures: number;
  recovering: Promise<void> | undefined;
  tail: string[];
}

export class SglangFleet extends EventEmitter implements EngineRotation {
  readonly router: RouterClient | undefined;
  private readonly slots: Slot[];
  private readonly stopController = new AbortController();
  private routerChild: ChildProcess | undefined;
  /** The last weights a sync applied: what a restarted engine must catch up to before serving. */
  private latest: AppliedWeights | undefined;
  private monitor: Promise<void> | undefined;

  private constructor(private readonly options: FleetOptions) {
    super();
    const { plan, engineUrls } = options;
    if (!!plan === !!engineUrls?.length) throw new FleetError('fleet: give either a launch plan or --engine-urls (exactly one)');
    const client = (url: string) => new SglangClient(url, { retries: 0, ...options.clientOptions });
    const launches = plan?.engines ?? [];
    this.slots = (plan ? launches.map((l) => l.url) : engineUrls!).map((url, index) => ({
      index, url: url.replace(/\/+$/, ''), client: client(url), state: 'starting', inRotation: false, restarts: 0, lastError: undefined,
      launch: launches[index], child: undefined, exit: undefined, failures: 0, recovering: undefined, tail: [],
    }));
    const routerUrl = options.routerUrl ?? plan?.router?.url;
    this.router = routerUrl ? new RouterClient(routerUrl, { retries: 2 }) : undefined;
  }

  /** Spawn (or find) every engine, wait until all are healthy, register them, and start watching. */
  static async start(options: FleetOptions, { signal }: { signal?: AbortSignal } = {}): Promise<SglangFleet> {
    const fleet = new SglangFleet(options);
    const stop = (): void => fleet.stopController.abort();
    signal?.addEventListener('abort', stop, { once: true });
    try {
      for (const slot of fleet.slots) if (slot.launch) fleet.spawnEngine(slot);
      await Promise.all(fleet.slots.map((slot) => fleet.waitHealthy(slot)));
      const routerLaunch = options.plan?.router;
      if (routerLaunch && !options.routerUrl) {
        // Spawned routers get the engines through --worker-urls; restarts re-register via /workers.
        fleet.routerChild = fleet.spawnProcess('router', routerLaunch, () => undefined, []);
        await fleet.waitFor('router', () => fleet.router!.ready(), options.startupTimeoutMs ?? 1_800_000);
      } else if (fleet.router) {
        const known = new Set(await fleet.router.workerUrls());
        for (const slot of fleet.slots) if (!known.has(slot.url)) await fleet.router.addWorker(slot.url);
      }
      for (const slot of fleet.slots) Object.assign(slot, { state: 'healthy', inRotation: true });
      fleet.monitor = fleet.watch();
      return fleet;
    } catch (error) {
      await fleet.stop();
      throw PhysarumError.isInstance(error) ? error : new FleetError(`fleet failed to start: ${(error as Error).message}`, error);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  get engines(): readonly FleetEngine[] {
    return this.slots.map((s) => ({ ...s, pid: s.child?.pid }));
  }

  /** Engines serving now. */
  get urls(): string[] {
    return this.slots.filter((s) => s.inRotation).map((s) => s.url);
  }

  /** Where `/generate` should go: the router if there is one, else the first engine in rotation. */
  get generateUrl(): string | undefined {
    return this.router?.baseUrl ?? this.urls[0];
  }

  // EngineRotation: WeightSync updates every live engine, including stale ones (to bring them back).
  members(): RotationMember[] {
    return this.slots.filter((s) => s.state === 'healthy' || s.state === 'stale').map((s) => ({ url: s.url, client: s.client }));
  }

  async takeOut(url: string, reason: string): Promise<void> {
    const slot = this.slot(url);
    if (!slot.inRotation && slot.state !== 'healthy') return;
    Object.assign(slot, { state: 'stale', inRotation: false, lastError: reason });
    await this.deregister(slot);
    this.emit('engine-out', { url, reason });
  }

  async weightsApplied(url: string, weights: AppliedWeights): Promise<void> {
    this.latest = weights;
    const slot = this.slot(url);
    if (slot.state === 'stale') {
      await this.register(slot);
      Object.assign(slot, { state: 'healthy', inRotation: true });
      this.emit('engine-in', { url, version: weights.version });
    }
  }

  /** Stop watching and end every spawned process (SIGTERM, then SIGKILL after 5 s). Idempotent. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.monitor?.catch(() => undefined);
    const children = [...this.slots.map((s) => s.child), this.routerChild].filter((c): c is ChildProcess => !!c);
    await Promise.all(children.map((child) => terminate(child)));
    for (const slot of this.slots) Object.assign(slot, { state: 'stopped', inRotation: false, child: undefined });
    await Promise.all([...this.slots.map((s) => s.client.close()), this.router?.close()]);
  }

  private slot(url: string): Slot {
    const slot = this.slots.find((s) => s.url === url.replace(/\/+$/, ''));
    if (!slot) throw new FleetError(`fleet: no engine ${url}`);
    return slot;
  }

  private async watch(): Promise<void> {
    const stopSignal = this.stopController.signal;
    const threshold = this.options.failureThreshold ?? 2;
    while (!stopSignal.aborted) {
      await sleep(this.options.healthIntervalMs ?? 10_000, stopSignal).catch(() => undefined);
      if (stopSignal.aborted) return;
      await Promise.all(
        this.slots.map(async (slot) => {
          if (slot.recovering || slot.state === 'failed' || slot.state === 'starting') return;
          const probe = slot.state === 'unhealthy' ? slot.client.health.bind(slot.client) : slot.client.healthGenerate.bind(slot.client);
          const ok = await probe({ timeoutMs: this.options.healthTimeoutMs ?? 20_000, signal: stopSignal }).catch(() => false);
          if (stopSignal.aborted) return;
          if (ok && slot.state === 'unhealthy') {
            await this.readmit(slot).catch((error: unknown) => this.emit('router-error', { url: slot.url, message: (error as Error).message }));
            return;
          }
          slot.failures = ok ? 0 : slot.failures + 1;
          if (slot.failures >= threshold) void this.recover(slot, `/health_generate failed ${slot.failures} times in a row`);
        }),
      );
    }
  }

  /** Out of rotation now; spawned engines are restarted with backoff, external ones wait for health. */
  private recover(slot: Slot, reason: string): Promise<void> {
    slot.recovering ??= (async () => {
      Object.assign(slot, { state: 'unhealthy', inRotation: false, lastError: reason, failures: 0 });
      await this.deregister(slot);
      this.emit('engine-unhealthy', { url: slot.url, reason });
      if (!slot.launch) return;
      const stopSignal = this.stopController.signal;
      for (let attempt = 0; !stopSignal.aborted; attempt++) {
        if (slot.restarts >= (this.options.maxRestarts ?? Number.POSITIVE_INFINITY)) {
          slot.state = 'failed';
          this.emit('engine-failed', { url: slot.url, reason: slot.lastError });
          return;
        }
        const child = slot.child;
        slot.child = undefined;
        if (child) await terminate(child, 0);
        const base = this.options.restartBackoffMs ?? 1_000;
        await sleep(Math.min(this.options.restartBackoffMaxMs ?? 60_000, base * 2 ** attempt), stopSignal).catch(() => undefined);
        if (stopSignal.aborted) return;
        Object.assign(slot, { state: 'restarting', restarts: slot.restarts + 1 });
        this.spawnEngine(slot);
        try {
          await this.waitHealthy(slot);
          await this.readmit(slot);
          this.emit('engine-restarted', { url: slot.url, restarts: slot.restarts });
          return;
        } catch (error) {
          slot.lastError = (error as Error).message;
        }
      }
    })().finally(() => (slot.recovering = undefined));
    return slot.recovering;
  }

  /** Bring a healthy-again engine to the latest weights, then register it and serve. */
  private async readmit(slot: Slot): Promise<void> {
    const latest = this.latest;
    if (latest?.source === 'disk' && latest.modelPath) {
      await slot.client.updateWeightsFromDisk({ modelPath: latest.modelPath, weightVersion: latest.version });
    } else if (latest?.source === 'distributed') {
      // NCCL weights cannot be re-sent from here: serving base weights would be silently off-policy,
      // so the engine waits out of rotation until a sync reaches it (after initDistributed again).
      Object.assign(slot, { state: 'stale', inRotation: false, failures: 0 });
      this.emit('engine-out', { url: slot.url, reason: `came back after NCCL weights ${latest.version}; waiting for the next weight sync` });
      return;
    }
    await this.register(slot);
    Object.assign(slot, { state: 'healthy', inRotation: true, failures: 0 });
    this.emit('engine-healthy', { url: slot.url });
  }

  private async register(slot: Slot): Promise<void> {
    if (!this.router) return;
    const known = await this.router.workerUrls();
    if (!known.includes(slot.url)) await this.router.addWorker(slot.url);
  }

  private async deregister(slot: Slot): Promise<void> {
    try {
      await this.router?.removeWorker(slot.url);
    } catch (error) {
      this.emit('router-error', { url: slot.url, message: (error as Error).message });
    }
  }

  private spawnEngine(slot: Slot): void {
    slot.exit = undefined;
    slot.tail = [];
    const child = this.spawnProcess(`engine ${slot.index}`, slot.launch!, (how) => {
      if (slot.child !== child) return;
      slot.exit = how;
      if (!this.stopController.signal.aborted && slot.state !== 'starting' && slot.state !== 'restarting')
        void this.recover(slot, `process ${how}; last output: ${slot.tail.slice(-3).join(' | ')}`);
    }, slot.tail);
    slot.child = child;
  }

  private spawnProcess(source: string, launch: LaunchCommand, onExit: (how: string) => void, tail: string[]): ChildProcess {
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      this.options.onLog?.(source, line);
    };
    return spawnGroup(this.options.rewriteCommand?.(launch) ?? launch, { onLine, onExit, ...(this.options.env ? { env: this.options.env } : {}) });
  }

  private async waitHealthy(slot: Slot): Promise<void> {
    await this.waitFor(`engine ${slot.index} (${slot.url})`, async () => {
      if (slot.launch && slot.exit) throw new FleetError(`engine ${slot.index} (${slot.url}) ${slot.exit} before it became healthy; last output: ${slot.tail.slice(-5).join(' | ')}`);
      return slot.client.health({ timeoutMs: 5_000, signal: this.stopController.signal });
    }, this.options.startupTimeoutMs ?? 1_800_000);
  }

  private async waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!(await probe())) {
      if (performance.now() > deadline) throw new FleetError(`${what} was not healthy within ${timeoutMs} ms (raise startupTimeoutMs for big models)`);
      await sleep(200, this.stopController.signal);
    }
  }
}
