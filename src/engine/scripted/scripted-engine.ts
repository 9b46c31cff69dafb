/**
 * The state machine behind the scripted server: replays a `ScriptedPolicy` token by token with
 * SGLang's semantics — finish reasons, deterministic logprobs, sessions, abort by rid prefix,
 * pause/continue gates, a small prefix cache for `cached_tokens`, and a weight version.
 * The HTTP layer (server.ts) only parses, routes and serializes.
 */
import { EventEmitter } from 'node:events';
import { InvalidInputError } from '../../protocol/errors.ts';
import type { Tokenizer } from '../../chat/tokenizer.ts';
import { DeterministicLogprobs, FinishCheck } from '../server/finish-check.ts';
import { buildResponse, type PreparedItem } from './response.ts';
import type { GenerateItem } from '../server/generate-batch.ts';
import { ScriptedReplies, type ScriptedPolicy } from './policy.ts';
import { BadGenerateRequest } from '../server/bad-request.ts';
import { SessionStore } from '../server/session-store.ts';
import type { FinishReason, GenerateResponse, LogprobTuple, PauseMode, SessionParams } from '../../protocol/sglang-types.ts';

export const MEMORY_TAGS = ['kv_cache', 'weights', 'cuda_graph'] as const;
export type MemoryTag = (typeof MEMORY_TAGS)[number];

export interface ScriptedEngineOptions {
  script: ScriptedPolicy;
  tokenizer: Tokenizer;
  /** Fixed delay before each request's first token (the rollout-overhead bench uses 20 ms). */
  latencyMs?: number;
  /** Delay between tokens; gives aborts something to cut (default 0). */
  tokenLatencyMs?: number;
  weightVersion?: string;
  contextLength?: number;
}

/** A request the engine refuses before generating: becomes an HTTP 400 (or an SSE error event). */
export class RequestRejected extends InvalidInputError {}

interface Running {
  rid: string;
  started: boolean;
  controller: AbortController;
  abortMessage: string;
}

export class ScriptedEngine extends EventEmitter {
  weightVersion: string;
  readonly sessions = new SessionStore();
  readonly contextLength: number;
  private readonly running = new Set<Running>();
  private pause: { mode: PauseMode; resume: Promise<void>; release: () => void } | undefined;
  private readonly recent: number[][] = [];
  /** Memory regions given up by `/release_memory_occupation` (colocated training uses the GPU meanwhile). */
  readonly released = new Set<MemoryTag>();
  private updates = 0;
  private readonly replies: ScriptedReplies;

  constructor(readonly options: ScriptedEngineOptions) {
    super();
    this.replies = new ScriptedReplies(options.script);
    this.weightVersion = options.weightVersion ?? 'default';
    this.contextLength = options.contextLength ?? 32_768;
  }

  get inFlight(): number {
    return this.running.size;
  }

  get pausedMode(): PauseMode | undefined {
    return this.pause?.mode;
  }

  /** Tokenize, resolve the session context and choose the scripted reply; throws RequestRejected. */
  prepare(item: GenerateItem, session: SessionParams | undefined, abortItem: () => void): PreparedItem {
    const { tokenizer } = this.options;
    if (this.released.size > 0)
      throw new RequestRejected(`GPU memory is released (${[...this.released].join(', ')}); call /resume_memory_occupation before generating`);
    let promptIds = item.inputIds ?? tokenizer.encode(item.text ?? '');
    let finishSession: PreparedItem['finishSession'];
    if (session) {
      try {
        const bos = typeof tokenizer.config.bos_token === 'string' ? tokenizer.tokenToId(tokenizer.config.bos_token) : undefined;
        const turn = this.sessions.begin(session, item.rid, promptIds, bos, abortItem);
        promptIds = turn.context;
        finishSession = (output) => turn.finish(output, item.sampling.maxNewTokens);
      } catch (error) {
        if (error instanceof BadGenerateRequest) throw new RequestRejected(error.message);
        throw error;
      }
    }
    const maxNew = item.sampling.maxNewTokens;
    if (promptIds.length >= this.contextLength)
      throw new RequestRejected(`The input (${promptIds.length} tokens) is longer than the model's context length (${this.contextLength} tokens).`);
    if (maxNew !== null && promptIds.length + maxNew > this.contextLength)
      throw new RequestRejected(
        `Requested token count exceeds the model's maximum context length of ${this.contextLength} tokens. You requested a total of ${promptIds.length + maxNew} tokens: ${promptIds.length} tokens from the input messages and ${maxNew} tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.`,
      );
    if (item.logprobStartLen >= promptIds.length)
      throw new RequestRejected(`logprob_start_len (${item.logprobStartLen}) is greater than or equal to the input length (${promptIds.length}).`);
    const choice = this.replies.choose(tokenizer.decode(promptIds), item.rid);
    if (!choice.ok) throw new RequestRejected(choice.message);
    const eos = tokenizer.eosTokenIds[0];
    const replyIds = [...tokenizer.encode(choice.reply), ...(eos === undefined ? [] : [eos])];
    return { item, promptIds, replyIds, cachedTokens: this.cachedPrefix(promptIds), ...(finishSession ? { finishSession } : {}) };
  }

  /**
   * Generate one prepared item. `onChunk` receives cumulative snapshots every `stream_interval`
   * tokens (streaming); the promise resolves with the final response, aborted or not.
   */
  async run(
    prepared: PreparedItem,
    options: { onChunk?: (response: GenerateResponse) => void; signal?: AbortSignal } = {},
  ): Promise<GenerateResponse> {
    const { item, promptIds, replyIds } = prepared;
    const { onChunk } = options;
    const startedAt = performance.now();
    const entry: Running = { rid: item.rid, started: false, controller: new AbortController(), abortMessage: 'Aborted' };
    // A client disconnect aborts the request server-side, as upstream does.
    const onDisconnect = (): void => entry.controller.abort();
    options.signal?.addEventListener('abort', onDisconnect, { once: true });
    // New requests block while paused before they count as in flight (upstream holds them in the
    // tokenizer manager, so flush_cache and pause(abort) do not wait for them).
    await this.whilePaused(entry.controller.signal);
    this.running.add(entry);
    this.emit('request-start', { rid: item.rid, index: item.index });
    const check = new FinishCheck(item.sampling, this.options.tokenizer);
    const logprobs = new DeterministicLogprobs(promptIds);
    const outputIds: number[] = [];
    const outputLogprobs: LogprobTuple[] = [];
    let finish: FinishReason | null = null;
    const signal = entry.controller.signal;
    try {
      await this.delay(this.options.latencyMs ?? 0, signal);
      await this.whilePaused(signal);
      entry.started = !signal.aborted;
      const eos = this.options.tokenizer.eosTokenIds[0] ?? replyIds[replyIds.length - 1] ?? 0;
      while (!signal.aborted) {
        const token = replyIds[outputIds.length] ?? eos;
        outputIds.push(token);
        outputLogprobs.push([logprobs.next(token, outputIds.length - 1), token, item.returnTextInLogprobs ? this.options.tokenizer.decode([token]) : null]);
        finish = check.afterToken(outputIds);
        if (finish) break;
        if (onChunk && outputIds.length % item.sampling.streamInterval === 0)
          onChunk(buildResponse(prepared, check.text(outputIds), outputIds, outputLogprobs, null, startedAt, this.weightVersion, this.options.tokenizer.vocabSize));
        await this.delay(this.options.tokenLatencyMs ?? 0, signal);
        await this.whilePaused(signal);
      }
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      this.running.delete(entry);
      options.signal?.removeEventListener('abort', onDisconnect);
    }
    if (!finish) {
      finish = entry.started
        ? { type: 'abort', message: entry.abortMessage, status_code: null, err_type: null }
        : { type: 'abort', message: 'Abort in waiting queue' };
    }
    prepared.finishSession?.(outputIds);
    this.remember([...promptIds, ...outputIds]);
    const final = buildResponse(prepared, check.text(outputIds), outputIds, outputLogprobs, finish, startedAt, this.weightVersion, this.options.tokenizer.vocabSize);
    this.emit('request-end', { rid: item.rid, index: item.index, finishReason: finish });
    return final;
  }

  /** `/abort_request`: a no-op unless some request has exactly `rid`; then every rid with that prefix. */
  abort(rid: string, abortAll: boolean, message = 'Aborted'): number {
    const targets = abortAll ? [...this.running] : [...this.running].some((r) => r.rid === rid) ? [...this.running].filter((r) => r.rid.startsWith(rid)) : [];
    for (const entry of targets) {
      entry.abortMessage = message;
      entry.controller.abort();
    }
    return targets.length;
  }

  abortRid(rid: string): void {
    for (const entry of this.running) if (entry.rid === rid) entry.controller.abort();
  }

  async pauseGeneration(mode: PauseMode): Promise<void> {
    if (!this.pause) {
      let release!: () => void;
      const resume = new Promise<void>((resolve) => (release = resolve));
      this.pause = { mode, resume, release };
    } else this.pause.mode = mode;
    if (mode === 'abort') {
      this.abort('', true);
      while (this.running.size > 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  continueGeneration(): void {
    this.pause?.release();
    this.pause = undefined;
  }

  /** Returns false (nothing flushed) while requests are in flight, like upstream. */
  flushCache(): boolean {
    if (this.running.size > 0 || this.pause?.mode === 'in_place') return false;
    this.recent.length = 0;
    return true;
  }

  /** Without a pause, weight updates wait for in-flight generations (upstream's writer lock). */
  async updateWeights(version: string | undefined, abortAll: boolean): Promise<string> {
    if (abortAll) this.abort('', true);
    while (!this.pause && this.running.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    this.updates++;
    this.weightVersion = version ?? String(this.updates);
    this.recent.length = 0;
    return this.weightVersion;
  }

  /** Upstream needs an idle engine (pause first); returns false when requests still run. */
  releaseMemory(tags: readonly MemoryTag[]): boolean {
    if (this.running.size > 0) return false;
    for (const tag of tags.length > 0 ? tags : MEMORY_TAGS) this.released.add(tag);
    // Releasing the KV cache drops the radix cache with it.
    if (this.released.has('kv_cache')) this.recent.length = 0;
    return true;
  }

  resumeMemory(tags: readonly MemoryTag[]): void {
    for (const tag of tags.length > 0 ? tags : MEMORY_TAGS) this.released.delete(tag);
  }

  close(): void {
    this.abort('', true);
    this.sessions.closeAll();
    this.continueGeneration();
  }

  private cachedPrefix(ids: number[]): number {
    let best = 0;
    for (const seq of this.recent) {
      let k = 0;
      while (k < seq.length && k < ids.length - 1 && seq[k] === ids[k]) k++;
      best = Math.max(best, k);
    }
    return best;
  }

  private remember(ids: number[]): void {
    this.recent.push(ids);
    if (this.recent.length > 64) this.recent.shift();
  }

  private async whilePaused(signal: AbortSignal): Promise<void> {
    while (this.pause && !signal.aborted) {
      const gate = this.pause.resume;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        void gate.then(done);
      });
    }
  }

  private delay(ms: number, signal: AbortSignal): Promise<void> {
    if (ms <= 0) return signal.aborted ? Promise.resolve() : new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
