/**
 * WeightSync (DESIGN contract 6): bring new weights into every engine, bracketed
 * pause → flush → update → continue, and stamp a new `weight_version`. Paths:
 * - disk: `update_weights_from_disk` on every engine at once (the embedded/CPU default);
 * - NCCL: `init_weights_update_group` once (concurrently with the trainer joining the group),
 *   then per bucket `update_weights_from_distributed` metadata on every engine while the trainer
 *   broadcasts the tensors.
 * An engine that fails any stage is taken out of rotation and reported, never skipped silently.
 */
import { PhysarumError, throwIfAborted } from '../../protocol/errors.ts';
import { EngineHttpError } from '../client/engine-errors.ts';
import { sleep } from '../client/http-transport.ts';
import {
  staticRotation,
  WeightSyncError,
  type AppliedWeights,
  type EngineFailure,
  type EngineRotation,
  type RotationMember,
  type SyncStage,
  type WeightSyncReport,
} from './engine-rotation.ts';
import type { SglangClient } from '../client/sglang-client.ts';
import type { PauseMode } from '../../protocol/sglang-types.ts';

export interface WeightSyncOptions {
  engines: EngineRotation | ReadonlyArray<string | SglangClient>;
  /** How `/pause_generation` treats running requests (default upstream's `abort`; `retract` keeps them). */
  pauseMode?: PauseMode;
  /** `/flush_cache` answers 400 while requests drain; keep trying this long (default 60 s, like slime). */
  flushTimeoutMs?: number;
  /** Per-call deadline for control calls (default 10 minutes: loading a checkpoint is slow). */
  callTimeoutMs?: number;
  /**
   * Engines share GPUs with the trainer and were `offload()`ed while it trained: each sync first
   * resumes their weights memory, then updates, then resumes the KV cache and CUDA graphs
   * (slime's onload_weights → update → onload_kv).
   */
  colocated?: boolean;
}

export interface Bucket {
  names: string[];
  dtypes: string[];
  shapes: number[][];
}

export class WeightSync {
  /** The last version stamped by a successful sync. */
  version: string | undefined;
  private readonly rotation: EngineRotation;
  private counter = 0;

  constructor(private readonly options: WeightSyncOptions) {
    this.rotation = 'members' in options.engines ? options.engines : staticRotation(options.engines);
  }

  /** pause → flush → `update_weights_from_disk` → continue on every engine. */
  async updateFromDisk(params: { modelPath: string; version?: string; loadFormat?: string }, options: { signal?: AbortSignal } = {}): Promise<WeightSyncReport> {
    const version = this.nextVersion(params.version);
    return this.bracket(version, { source: 'disk', modelPath: params.modelPath }, options.signal, async (live, fail) => {
      await Promise.all(
        live.map(async (m) => {
          try {
            await m.client.updateWeightsFromDisk({
              modelPath: params.modelPath,
              weightVersion: version,
              flushCache: true,
              timeoutMs: this.callTimeout,
              ...(params.loadFormat ? { loadFormat: params.loadFormat } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
            });
          } catch (error) {
            fail(m, 'update', error);
          }
        }),
      );
    });
  }

  /**
   * Join every engine into the trainer's NCCL group. Engine i gets rank_offset 1 + (GPUs of the
   * engines before it); world_size = 1 + all engine GPUs (the trainer is rank 0). The calls block
   * until the rendezvous completes, so `joinTrainer` runs concurrently with them.
   */
  async initDistributed(
    params: { masterAddress: string; masterPort: number; gpusPerEngine?: number | number[]; groupName?: string; backend?: string; joinTrainer: () => Promise<void> },
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const members = this.rotation.members();
    const gpus = members.map((_, i) => (Array.isArray(params.gpusPerEngine) ? (params.gpusPerEngine[i] ?? 1) : (params.gpusPerEngine ?? 1)));
    const worldSize = 1 + gpus.reduce((a, b) => a + b, 0);
    let offset = 1;
    const calls = members.map((m, i) => {
      const rankOffset = offset;
      offset += gpus[i]!;
      return m.client.initWeightsUpdateGroup({
        masterAddress: params.masterAddress,
        masterPort: params.masterPort,
        rankOffset,
        worldSize,
        timeoutMs: this.callTimeout,
        ...(params.groupName ? { groupName: params.groupName } : {}),
        ...(params.backend ? { backend: params.backend } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    });
    const results = await Promise.allSettled([...calls, params.joinTrainer()]);
    const failures = results.map((r, i) => ({ r, url: members[i]?.url ?? 'trainer' })).filter(({ r }) => r.status === 'rejected');
    if (failures.length > 0) {
      const report: WeightSyncReport = { version: this.version ?? '', updated: [], failed: failures.map(({ url, r }) => ({ url, stage: 'update', message: describe((r as PromiseRejectedResult).reason) })), durationMs: 0 };
      throw new WeightSyncError(`weight update group failed to form: ${report.failed.map((f) => `${f.url}: ${f.message}`).join('; ')}`, report);
    }
  }

  /** pause → flush → per bucket (metadata to every engine ∥ trainer broadcast) → continue. */
  async updateFromDistributed(
    params: { buckets: Bucket[]; broadcast: (bucket: Bucket, index: number) => Promise<void>; version?: string; groupName?: string; loadFormat?: 'flattened_bucket' },
    options: { signal?: AbortSignal } = {},
  ): Promise<WeightSyncReport> {
    const version = this.nextVersion(params.version);
    return this.bracket(version, { source: 'distributed' }, options.signal, async (live, fail) => {
      let engines = live;
      for (const [index, bucket] of params.buckets.entries()) {
        throwIfAborted(options.signal);
        const last = index === params.buckets.length - 1;
        const calls = engines.map(async (m) => {
          try {
            await m.client.updateWeightsFromDistributed({
              ...bucket,
              flushCache: last,
              timeoutMs: this.callTimeout,
              // Only the last bucket stamps the version: a half-updated engine must not claim it.
              ...(last ? { weightVersion: version } : {}),
              ...(params.groupName ? { groupName: params.groupName } : {}),
              ...(params.loadFormat ? { loadFormat: params.loadFormat } : {}),
            });
            return true;
          } catch (error) {
            fail(m, 'update', error);
            return false;
          }
        });
        const [oks] = await Promise.all([Promise.all(calls), params.broadcast(bucket, index)]);
        engines = engines.filter((_, i) => oks[i]);
      }
    });
  }

  private get callTimeout(): number {
    return this.options.callTimeoutMs ?? 600_000;
  }

  private nextVersion(explicit: string | undefined): string {
    if (explicit !== undefined) return explicit;
    const last = Number(this.version);
    this.counter = Math.max(this.counter, Number.isInteger(last) ? last : 0) + 1;
    return String(this.counter);
  }

  private async bracket(
    version: string,
    applied: Omit<AppliedWeights, 'version'>,
    signal: AbortSignal | undefined,
    update: (live: RotationMember[], fail: (m: RotationMember, stage: SyncStage, error: unknown) => void) => Promise<void>,
  ): Promise<WeightSyncReport> {
    const started = performance.now();
    const members = this.rotation.members();
    const failed = new Map<string, EngineFailure>();
    const fail = (m: RotationMember, stage: SyncStage, error: unknown): void => {
      if (!failed.has(m.url)) failed.set(m.url, { url: m.url, stage, message: describe(error) });
    };
    const live = (): RotationMember[] => members.filter((m) => !failed.has(m.url));
    const call = { timeoutMs: this.callTimeout, ...(signal ? { signal } : {}) };
    const paused: RotationMember[] = [];
    let thrown: unknown;
    try {
      if (members.length === 0) throw new WeightSyncError(`no engines in rotation to receive weights ${version}`, { version, updated: [], failed: [], durationMs: 0 });
      await Promise.all(
        members.map(async (m) => {
          try {
            await m.client.pauseGeneration(this.options.pauseMode ?? 'abort', call);
            paused.push(m);
          } catch (error) {
            fail(m, 'pause', error);
          }
        }),
      );
      await Promise.all(live().map((m) => this.flush(m, signal).catch((error: unknown) => fail(m, 'flush', error))));
      if (this.options.colocated) await this.onload(live(), ['weights'], call, fail);
      await update(live(), fail);
      if (this.options.colocated) await this.onload(live(), ['kv_cache', 'cuda_graph'], call, fail);
    } catch (error) {
      thrown = error;
    } finally {
      // Always resume what we paused, even after a failure: a paused engine hangs every request.
      await Promise.all(paused.map((m) => m.client.continueGeneration({ timeoutMs: this.callTimeout }).catch((error: unknown) => fail(m, 'continue', error))));
    }
    const report: WeightSyncReport = {
      version,
      updated: thrown ? [] : live().map((m) => m.url),
      failed: [...failed.values()],
      durationMs: performance.now() - started,
    };
    for (const f of report.failed) await this.rotation.takeOut(f.url, `weight sync ${version} failed at ${f.stage}: ${f.message}`);
    if (thrown) {
      if (thrown instanceof WeightSyncError || (PhysarumError.isInstance(thrown) && thrown.code === 'PHYSARUM_ABORTED')) throw thrown;
      throw new WeightSyncError(`weight sync ${version} failed: ${describe(thrown)}`, report, thrown);
    }
    if (report.updated.length === 0)
      throw new WeightSyncError(`no engine accepted weights ${version}: ${report.failed.map((f) => `${f.url} (${f.stage}): ${f.message}`).join('; ')}`, report);
    for (const url of report.updated) await this.rotation.weightsApplied?.(url, { version, ...applied });
    this.version = version;
    return report;
  }

  /**
   * Colocated runs: pause every engine and release its GPU memory so the trainer can use it. The
   * next sync (with `colocated: true`) brings the memory back. Engines that fail are taken out.
   */
  async offload(options: { signal?: AbortSignal } = {}): Promise<{ offloaded: string[]; failed: EngineFailure[] }> {
    const call = { timeoutMs: this.callTimeout, ...(options.signal ? { signal: options.signal } : {}) };
    const failed: EngineFailure[] = [];
    const offloaded: string[] = [];
    await Promise.all(
      this.rotation.members().map(async (m) => {
        try {
          await m.client.pauseGeneration(this.options.pauseMode ?? 'abort', call);
          await m.client.releaseMemoryOccupation(undefined, call);
          offloaded.push(m.url);
        } catch (error) {
          failed.push({ url: m.url, stage: 'offload', message: describe(error) });
        }
      }),
    );
    for (const f of failed) await this.rotation.takeOut(f.url, `offload failed: ${f.message}`);
    return { offloaded, failed };
  }

  private async onload(
    members: RotationMember[],
    tags: Array<'weights' | 'kv_cache' | 'cuda_graph'>,
    call: { timeoutMs: number; signal?: AbortSignal },
    fail: (m: RotationMember, stage: SyncStage, error: unknown) => void,
  ): Promise<void> {
    await Promise.all(members.map((m) => m.client.resumeMemoryOccupation(tags, call).catch((error: unknown) => fail(m, 'onload', error))));
  }

  /** Upstream answers 400 while requests drain after the pause; retry until the deadline. */
  private async flush(m: RotationMember, signal: AbortSignal | undefined): Promise<void> {
    const deadline = performance.now() + (this.options.flushTimeoutMs ?? 60_000);
    for (;;) {
      try {
        await m.client.flushCache({ timeoutMs: this.callTimeout, ...(signal ? { signal } : {}) });
        return;
      } catch (error) {
        if (!(error instanceof EngineHttpError) || error.status !== 400 || performance.now() > deadline) throw error;
        await sleep(200, signal);
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
