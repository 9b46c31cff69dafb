/**
 * The ingest worker thread: owns a second connection to the buffer file and commits ingested
 * groups (group commit, as inline). Validation and encoding stay on the caller's thread, so the
 * two overlap, and the caller's event loop is never blocked by a commit. Replies only after COMMIT.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PhysarumError } from '../protocol/errors.ts';
import { groupWriter, type GroupPayload } from './group-writer.ts';
import { CommitQueue, openDatabase, type Durability } from './store.ts';

export type WorkerRequestBody = { type: 'ingest'; payload: GroupPayload } | { type: 'cursor'; cursor: string } | { type: 'close' };
export type WorkerRequest = WorkerRequestBody & { id: number };

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code: string; message: string; retryable: boolean } };

const { file, durability } = workerData as { file: string; durability: Durability };
const db = openDatabase(file, durability);
const queue = new CommitQueue(db);
const writer = groupWriter(db);
const port = parentPort!;

function reply(id: number, run: Promise<unknown>): void {
  run.then(
    (value) => port.postMessage({ id, ok: true, value } satisfies WorkerReply),
    (error: unknown) =>
      port.postMessage({
        id,
        ok: false,
        error: PhysarumError.isInstance(error)
          ? { code: error.code, message: error.message, retryable: error.isRetryable }
          : { code: 'PHYSARUM_BUFFER', message: (error as Error)?.message ?? String(error), retryable: false },
      } satisfies WorkerReply),
  );
}

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'ingest') reply(request.id, queue.write(() => writer.write(request.payload)));
  else if (request.type === 'cursor') reply(request.id, queue.write(() => writer.setCursor(request.cursor)));
  else
    void queue.drain().then(() => {
      queue.close();
      db.close();
      port.postMessage({ id: request.id, ok: true, value: null } satisfies WorkerReply);
      port.close();
    });
});
port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies WorkerReply);
