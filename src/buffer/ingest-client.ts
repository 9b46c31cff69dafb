/**
 * The caller's side of the ingest worker (ingest-worker.ts): request ids, replies, and failure.
 * While nothing is pending the worker is unref'd, so an idle buffer never keeps a process alive.
 */
import { Worker } from 'node:worker_threads';
import { InvalidInputError } from '../protocol/errors.ts';
import { BufferError } from './errors.ts';
import type { GroupPayload, GroupWriteResult } from './group-writer.ts';
import type { Durability } from './store.ts';
import type { WorkerReply, WorkerRequestBody } from './ingest-worker.ts';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export class IngestClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WorkerReply) => {
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.ok) entry.resolve(reply.value);
      else {
        const { code, message, retryable } = reply.error;
        entry.reject(code === 'PHYSARUM_INVALID_INPUT' ? new InvalidInputError(message) : new BufferError(message, { isRetryable: retryable }));
      }
    });
    const fail = (error: Error) => {
      this.failure ??= new BufferError(`the ingest worker stopped: ${error.message}`, { cause: error, isRetryable: true });
      for (const entry of this.pending.values()) entry.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  /** Start the worker on `file` (already opened and checked by the caller's own connection). */
  static start(file: string, durability: Durability): IngestClient {
    // Messages posted before the worker is up wait in its queue; its 'ready' message (id 0) is ignored.
    const worker = new Worker(new URL('./ingest-worker-boot.mjs', import.meta.url), { workerData: { file, durability } });
    worker.unref();
    return new IngestClient(worker);
  }

  ingest(payload: GroupPayload): Promise<GroupWriteResult> {
    // Blobs that own their whole ArrayBuffer (encodeSample allocates them so) are moved, not copied.
    const transfer = payload.rows
      .map((r) => r.arrays)
      .filter((a) => a.byteOffset === 0 && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength)
      .map((a) => a.buffer as ArrayBuffer);
    return this.send({ type: 'ingest', payload }, transfer) as Promise<GroupWriteResult>;
  }

  setCursor(cursor: string): Promise<void> {
    return this.send({ type: 'cursor', cursor }) as Promise<void>;
  }

  /** Commits what is queued, closes the worker's connection, and ends the thread. */
  async close(): Promise<void> {
    if (!this.failure) await this.send({ type: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private send(request: WorkerRequestBody, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }
}
