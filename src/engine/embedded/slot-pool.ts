/**
 * The sequences of one llama.cpp context, handed out one request at a time. A request takes the
 * free sequence whose cached tokens share the longest prefix with its prompt (a one-level radix
 * cache: a multi-turn conversation lands back on the sequence that holds its history), and waits
 * in FIFO order when every sequence is busy.
 */
import type { LlamaContext, LlamaContextSequence } from 'node-llama-cpp';
import { AbortedError, describeAbortReason } from '../../protocol/errors.ts';

export interface Slot {
  readonly index: number;
  readonly sequence: LlamaContextSequence;
}

interface Waiter {
  prompt: readonly number[];
  resolve(slot: Slot): void;
  reject(error: unknown): void;
}

/** Raised to a request that was aborted before it got a sequence (SGLang: "Abort in waiting queue"). */
export class QueuedAbortError extends AbortedError {}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class SlotPool {
  private readonly free: Slot[] = [];
  private readonly waiters: Waiter[] = [];
  readonly capacity: number;

  constructor(context: LlamaContext) {
    this.capacity = context.totalSequences;
    for (let index = 0; index < this.capacity; index++) this.free.push({ index, sequence: context.getSequence() });
  }

  get busy(): number {
    return this.capacity - this.free.length;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** A free sequence for `prompt` (best cached prefix first); waits while all are busy. */
  acquire(prompt: readonly number[], signal?: AbortSignal): Promise<Slot> {
    if (signal?.aborted) return Promise.reject(new QueuedAbortError(describeAbortReason(signal.reason)));
    const slot = this.takeBest(prompt);
    if (slot) return Promise.resolve(slot);
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = {
        prompt,
        resolve: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject,
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at !== -1) this.waiters.splice(at, 1);
        reject(new QueuedAbortError(describeAbortReason(signal?.reason)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(slot: Slot): void {
    const next = this.waiters.shift();
    if (next) next.resolve(slot);
    else this.free.push(slot);
  }

  /** Drop the cached tokens of every idle sequence (SGLang's /flush_cache). */
  async flush(): Promise<void> {
    await Promise.all(this.free.map((slot) => slot.sequence.clearHistory()));
  }

  /** Fail every waiter (engine shutdown or weight swap of a closed engine). */
  rejectWaiters(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private takeBest(prompt: readonly number[]): Slot | undefined {
    if (this.free.length === 0) return undefined;
    let best = 0;
    let bestLength = -1;
    this.free.forEach((slot, i) => {
      const length = commonPrefixLength(slot.sequence.contextTokens, prompt);
      if (length > bestLength) [best, bestLength] = [i, length];
    });
    return this.free.splice(best, 1)[0];
  }
}
