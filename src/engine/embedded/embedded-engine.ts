/**
 * The embedded inference engine: one GGUF in llama.cpp, many sequences in one context, and the
 * RL control plane SGLang offers (abort, pause/continue, flush, weight updates with a version).
 * The HTTP layer (server.ts) only translates the wire; every behaviour lives here.
 */
import { randomUUID } from 'node:crypto';
import type { LlamaModel, Token } from 'node-llama-cpp';
import type { FinishReason, PauseMode, SamplingParams } from '../../protocol/sglang-types.ts';
import { EmbeddedEngineError, disposeLlama, loadLlama, type LlamaLoadOptions, type LoadedLlama } from './llama-runtime.ts';
import { PauseGate } from './pause-gate.ts';
import { runGeneration, type GenerationProgress, type GenerationResult } from './run-generation.ts';
import { BadGenerateRequest } from '../server/bad-request.ts';
import { buildSamplingPlan } from './sampling-plan.ts';
import { QueuedAbortError, SlotPool } from './slot-pool.ts';
import { countTokens, endOfGenerationTokens } from './vocabulary.ts';

export interface EmbeddedEngineOptions extends Omit<LlamaLoadOptions, 'signal'> {
  modelPath: string;
  /** The initial `weight_version` (SGLang's `--weight-version`, default "default"). */
  weightVersion?: string;
}

export interface GenerateItem {
  rid: string;
  inputIds: readonly number[];
  params: SamplingParams;
  /** Which of the `n` samples of its prompt this is. */
  sampleIndex?: number;
  /** `top_logprobs_num`: most probable alternatives to report per position. */
  topLogprobs?: number;
  /** `logprob_start_len` >= 0: also report the prompt's log-probs from this position. */
  inputLogprobStart?: number;
  /** `token_ids_logprob`: ids whose log-probs are reported at every position. */
  tokenIdsLogprob?: readonly number[];
}

export interface ItemResult extends GenerationResult {
  rid: string;
  promptTokens: number;
  weightVersion: string;
}

export interface WeightUpdateTiming {
  /** Time to load the new GGUF and create its context (generation keeps running meanwhile). */
  loadMs: number;
  /** Time generation was held: draining in-flight requests, then swapping. */
  pauseMs: number;
}

interface InFlight {
  controller: AbortController;
  done: Promise<unknown>;
  /**
   * Past the pause gate and the weight swap: it runs (or waits for a sequence) on the current
   * weights. Requests held by a pause are not admitted, so drains never wait for them.
   */
  admitted: boolean;
}

const QUEUE_ABORT: FinishReason = { type: 'abort', message: 'Abort in waiting queue' };

function nextVersion(current: string, updates: number): string {
  return /^\d+$/.test(current) ? String(Number(current) + 1) : String(updates);
}

export class EmbeddedEngine {
  private loaded: LoadedLlama;
  private pool: SlotPool;
  private eosTokenIds: number[];
  private vocabSize: number;
  private readonly gate = new PauseGate();
  private readonly inFlight = new Map<string, InFlight>();
  private updates = 0;
  private pauseMode: PauseMode | undefined;
  private swapping: Promise<void> = Promise.resolve();
  private swapInProgress = false;
  private closed = false;
  weightVersion: string;

  private constructor(loaded: LoadedLlama, private readonly options: EmbeddedEngineOptions) {
    this.loaded = loaded;
    this.pool = new SlotPool(loaded.context);
    this.eosTokenIds = endOfGenerationTokens(loaded.model);
    this.vocabSize = countTokens(loaded.model);
    this.weightVersion = options.weightVersion ?? 'default';
  }

  static async start(options: EmbeddedEngineOptions, { signal }: { signal?: AbortSignal } = {}): Promise<EmbeddedEngine> {
    return new EmbeddedEngine(await loadLlama(options.modelPath, { ...options, ...(signal ? { signal } : {}) }), options);
  }

  get model(): LlamaModel {
    return this.loaded.model;
  }
  get modelPath(): string {
    return this.loaded.modelPath;
  }
  /** Tokens per sequence: the size asked for (llama.cpp may round its allocation up to 256). */
  get contextSize(): number {
    const allocated = this.loaded.context.contextSize;
    return Math.min(this.options.contextSize ?? allocated, allocated);
  }
  get sequences(): number {
    return this.pool.capacity;
  }
  get threads(): number {
    return this.loaded.threads;
  }
  get isPaused(): boolean {
    return this.gate.isClosed;
  }
  /** A weight update is draining in-flight requests or swapping; new requests wait. */
  get isSwapping(): boolean {
    return this.swapInProgress;
  }
  get load(): { running: number; queued: number } {
    return { running: this.pool.busy, queued: this.pool.queued };
  }
  get endOfGenerationIds(): readonly number[] {
    return this.eosTokenIds;
  }

  /** Token ids of `text`; special-token strings map to their ids, BOS added if the GGUF asks for it. */
  tokenize(text: string): number[] {
    const ids = this.model.tokenize(text, true) as number[];
    const bos = this.model.tokens.bos;
    return this.model.tokens.shouldPrependBosToken && bos !== null && ids[0] !== bos ? [bos, ...ids] : ids;
  }

  detokenize(ids: readonly number[], { skipSpecialTokens = true } = {}): string {
    return this.model.detokenize(ids as Token[], !skipSpecialTokens);
  }

  /**
   * Run one sample. Throws `BadGenerateRequest` for a request that can never run (context
   * length, unsupported feature); everything else ends in a finish reason, aborts included.
   */
  async generate(item: GenerateItem, hooks: { signal?: AbortSignal; onToken?: (p: GenerationProgress) => void } = {}): Promise<ItemResult> {
    if (this.closed) throw new EmbeddedEngineError('the embedded engine is closed');
    this.checkInput(item.inputIds);
    const controller = new AbortController();
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, controller.signal]) : controller.signal;
    const rid = this.inFlight.has(item.rid) ? `${item.rid}-${randomUUID().slice(0, 8)}` : item.rid;
    let release: () => void = () => {};
    const entry: InFlight = { controller, done: new Promise<void>((resolve) => (release = resolve)), admitted: false };
    this.inFlight.set(rid, entry);
    try {
      return await this.generateAdmitted(item, entry, signal, hooks.onToken);
    } finally {
      this.inFlight.delete(rid);
      release();
    }
  }

  private async generateAdmitted(item: GenerateItem, entry: InFlight, signal: AbortSignal, onToken?: (p: GenerationProgress) => void): Promise<ItemResult> {
    const queued = (): ItemResult => ({
      rid: item.rid, outputIds: [], logprobs: [], finishReason: QUEUE_ABORT, cachedTokens: 0,
      promptTokens: item.inputIds.length, weightVersion: this.weightVersion,
    });
    // Paused engines (and weight swaps) hold new requests here, as SGLang does: no error, just a wait.
    for (;;) {
      try {
        await this.gate.wait(signal);
        await this.swapping;
      } catch {
        return queued();
      }
      if (!this.gate.isClosed && !this.swapInProgress) break;
    }
    entry.admitted = true; // synchronously after the checks: no swap can slip in between
    const plan = {
      ...buildSamplingPlan(item.params, {
        model: this.model, eosTokenIds: this.eosTokenIds, promptLength: item.inputIds.length,
        contextSize: this.contextSize, sampleIndex: item.sampleIndex ?? 0,
      }),
      topLogprobs: item.topLogprobs ?? 0,
      ...(item.inputLogprobStart !== undefined ? { inputLogprobStart: item.inputLogprobStart } : {}),
      ...(item.tokenIdsLogprob ? { tokenIdsLogprob: item.tokenIdsLogprob } : {}),
    };
    const pool = this.pool;
    const model = this.model;
    const weightVersion = this.weightVersion;
    let slot;
    try {
      slot = await pool.acquire(item.inputIds, signal);
    } catch (error) {
      if (error instanceof QueuedAbortError) return queued();
      throw error;
    }
    try {
      const result = await runGeneration(slot.sequence, model, item.inputIds, plan, {
        signal,
        beforeToken: () => this.gate.wait(signal).catch(() => undefined),
        ...(onToken ? { onToken } : {}),
      });
      return { ...result, rid: item.rid, promptTokens: item.inputIds.length, weightVersion };
    } finally {
      pool.release(slot);
    }
  }

  /** llama.cpp aborts the whole process on an out-of-range id, so ids are checked here (SGLang does not). */
  private checkInput(ids: readonly number[]): void {
    if (ids.length === 0) throw new BadGenerateRequest('The input is empty: input_ids cannot be empty.');
    const vocab = this.vocabularySize;
    for (const id of ids)
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new BadGenerateRequest(`Token id ${id} in the input is outside the vocabulary (size ${vocab}).`);
  }

  get vocabularySize(): number {
    return this.vocabSize;
  }

  private admitted(): InFlight[] {
    return [...this.inFlight.values()].filter((entry) => entry.admitted);
  }

  /** Abort one request by rid (prefix match, as SGLang's scheduler does) or all of them. */
  abort({ rid = '', all = false }: { rid?: string; all?: boolean }): number {
    let count = 0;
    for (const [id, entry] of this.inFlight) {
      if (all || (rid !== '' && id.startsWith(rid))) {
        entry.controller.abort(new Error('aborted by /abort_request'));
        count++;
      }
    }
    return count;
  }

  /** `abort` ends every request and returns once none is in flight; the other modes freeze them. */
  async pause(mode: PauseMode = 'abort'): Promise<void> {
    this.gate.close();
    this.pauseMode = mode;
    if (mode === 'abort') {
      this.abort({ all: true });
      await Promise.all(this.admitted().map((entry) => entry.done));
    }
  }

  resume(): void {
    this.pauseMode = undefined;
    this.gate.open();
  }

  /**
   * SGLang refuses to flush while requests run or wait; so do we. Under a `retract` pause the
   * frozen requests count as retracted (upstream frees their KV), so the idle sequences flush.
   */
  async flushCache(): Promise<{ ok: boolean; message: string }> {
    const pending = this.admitted().length;
    if (pending > 0 && !(this.gate.isClosed && this.pauseMode === 'retract'))
      return { ok: false, message: `Cache not flushed because there are ${pending} pending requests.` };
    await this.pool.flush();
    return { ok: true, message: 'Cache flushed.' };
  }

  /**
   * Load `modelPath` (a new file: the old one is memory-mapped), let in-flight requests finish,
   * then swap. The load happens while the old weights keep serving, so generation is held only
   * for the drain and the swap.
   */
  async updateWeightsFromDisk(modelPath: string, { weightVersion, signal }: { weightVersion?: string | null; signal?: AbortSignal } = {}): Promise<WeightUpdateTiming> {
    const loadStart = performance.now();
    const next = await loadLlama(modelPath, { ...this.options, ...(signal ? { signal } : {}) });
    const loadMs = performance.now() - loadStart;
    const pauseStart = performance.now();
    let finishSwap: () => void = () => {};
    const previousSwap = this.swapping;
    this.swapping = new Promise<void>((resolve) => (finishSwap = resolve));
    await previousSwap;
    this.swapInProgress = true;
    try {
      // Frozen (paused) requests cannot finish on their own; end them so their sequences free up.
      // Requests held at the pause gate are not touched: they run on the new weights after continue.
      if (this.gate.isClosed) for (const entry of this.admitted()) entry.controller.abort(new Error('weight update while paused'));
      await Promise.all(this.admitted().map((entry) => entry.done));
      const old = this.loaded;
      this.loaded = next;
      this.pool = new SlotPool(next.context);
      this.eosTokenIds = endOfGenerationTokens(next.model);
      this.vocabSize = countTokens(next.model);
      this.updates++;
      this.weightVersion = weightVersion ?? nextVersion(this.weightVersion, this.updates);
      void disposeLlama(old);
    } finally {
      this.swapInProgress = false;
      finishSwap();
    }
    return { loadMs, pauseMs: performance.now() - pauseStart };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort({ all: true });
    this.gate.open();
    await Promise.all([...this.inFlight.values()].map((entry) => entry.done));
    await disposeLlama(this.loaded);
  }
}
