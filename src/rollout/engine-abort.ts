/**
 * Stop every in-flight generation on the engines once a step has enough groups, as slime does:
 * `POST /abort_request {"abort_all": true}` to each worker (never the router: it does not fan
 * abort out). Aborted requests finish with `finish_reason.type = "abort"` and keep their partial
 * output, which is what partial rollout resumes from.
 */
import { request } from 'undici';
import { combineSignals } from '../protocol/errors.ts';

export type EngineAbort = (options: { signal?: AbortSignal }) => Promise<void>;

export interface WorkerAbortFailure {
  url: string;
  message: string;
}

/** Thrown by `abortWorkers` when some workers did not confirm; the rest were aborted. */
export class EngineAbortError extends Error {
  readonly failures: WorkerAbortFailure[];
  constructor(failures: WorkerAbortFailure[]) {
    super(`abort_request failed on ${failures.length} worker(s): ${failures.map((f) => `${f.url}: ${f.message}`).join('; ')}`);
    this.name = 'EngineAbortError';
    this.failures = failures;
  }
}

/** An `EngineAbort` that posts `abort_all` to each worker URL (all in parallel). */
export function abortWorkers(workerUrls: readonly string[], options: { timeoutMs?: number } = {}): EngineAbort {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async ({ signal } = {}) => {
    const results = await Promise.allSettled(
      workerUrls.map(async (url) => {
        const response = await request(new URL('/abort_request', url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ abort_all: true }),
          signal: combineSignals([signal], timeoutMs),
        });
        const body = await response.body.text();
        if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`);
      }),
    );
    const failures = results.flatMap((result, i) =>
      result.status === 'rejected' ? [{ url: workerUrls[i]!, message: (result.reason as Error)?.message ?? String(result.reason) }] : [],
    );
    if (failures.length > 0) throw new EngineAbortError(failures);
  };
}
