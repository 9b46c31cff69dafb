/**
 * Stop every in-flight generation on the engines once a step has enough groups, as slime does:
 * `POST /abort_request {"abort_all": true}` to each worker (never the router: it does not fan
 * abort out). Aborted requests finish with `finish_reason.type = "abort"` and keep their partial
 * output, which is what partial rollout resumes from.
 */
import { PhysarumError } from '../protocol/errors.ts';
import type { SampleStatus } from '../protocol/sample.ts';
import { SglangClient } from '../engine/client/sglang-client.ts';

export type EngineAbort = (options: { signal?: AbortSignal }) => Promise<void>;

export interface WorkerAbortFailure {
  url: string;
  message: string;
}

/** Thrown by `abortWorkers` when some workers did not confirm; the rest were aborted. */
export class EngineAbortError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'model_error';
  readonly failures: WorkerAbortFailure[];
  constructor(failures: WorkerAbortFailure[]) {
    super('PHYSARUM_ENGINE_HTTP', `abort_request failed on ${failures.length} worker(s): ${failures.map((f) => `${f.url}: ${f.message}`).join('; ')}`);
    this.failures = failures;
  }
}

/** An `EngineAbort` that posts `abort_all` to each worker URL (all in parallel, one try each). */
export function abortWorkers(workerUrls: readonly string[], options: { timeoutMs?: number } = {}): EngineAbort {
  const clients = workerUrls.map((url) => new SglangClient(url, { timeoutMs: options.timeoutMs ?? 10_000, retries: 0 }));
  return async ({ signal } = {}) => {
    const results = await Promise.allSettled(clients.map((client) => client.abortRequest({ abortAll: true }, signal ? { signal } : {})));
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected' ? [{ url: workerUrls[i]!, message: (result.reason as Error)?.message ?? String(result.reason) }] : [],
    );
    if (failures.length > 0) throw new EngineAbortError(failures);
  };
}
