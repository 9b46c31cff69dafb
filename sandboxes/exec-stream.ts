/**
 * Streaming exec: stdout/stderr chunks as an async iterable while the command runs, and
 * `wait()` for the final result. Chunks are queued until read, so a slow reader loses nothing
 * (the helper's output cap bounds the queue).
 */
import type { ExecResult } from './exec-types.ts';

export interface ExecChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export class ExecStream implements AsyncIterable<ExecChunk> {
  private readonly queue: ExecChunk[] = [];
  private waiter: (() => void) | undefined;
  private finished = false;
  private readonly result: Promise<ExecResult>;

  constructor(run: (push: (chunk: ExecChunk) => void) => Promise<ExecResult>) {
    this.result = run((chunk) => {
      this.queue.push(chunk);
      this.wake();
    }).finally(() => {
      this.finished = true;
      this.wake();
    });
    // The iterator re-throws through wait(); an unobserved rejection here is not a crash.
    this.result.catch(() => undefined);
  }

  /** The command's result (the same `ExecResult` as `exec`), after all output. */
  wait(): Promise<ExecResult> {
    return this.result;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ExecChunk> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.finished) {
        await this.result; // surfaces a failure (timeout of the helper, OOM, abort) to the reader
        return;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
