/**
 * Client of sglang-router / SGLang Model Gateway worker management (docs/architecture.md, wire §6): the current
 * `/workers` API (202 + background job), with a fallback to the legacy `/add_worker`,
 * `/remove_worker`, `/list_workers` routes (router ≤ 0.2.1) when `/workers` answers 404.
 * Generation through the router is plain `SglangClient(routerUrl).generate`; control calls
 * (pause, abort, weights, sessions) must go to each worker, never to the router.
 */
import { EngineHttpError } from './engine-errors.ts';
import { EngineTransport, type CallOptions, type TransportOptions } from './http-transport.ts';
import type { RouterWorker } from '../../protocol/sglang-types.ts';

export interface AddWorkerOptions extends CallOptions {
  apiKey?: string;
  modelId?: string;
  priority?: number;
  cost?: number;
  workerType?: 'regular' | 'prefill' | 'decode';
  bootstrapPort?: number;
  labels?: Record<string, string>;
  healthCheckIntervalSecs?: number;
  healthCheckTimeoutSecs?: number;
  disableHealthCheck?: boolean;
}

export interface AddWorkerResult {
  /** The router's UUID for the worker (absent on legacy routers). */
  workerId?: string;
  api: 'workers' | 'legacy';
}

export class RouterClient {
  readonly baseUrl: string;
  private readonly transport: EngineTransport;

  constructor(baseUrl: string, options: TransportOptions = {}) {
    this.transport = new EngineTransport(baseUrl, options);
    this.baseUrl = this.transport.baseUrl;
  }

  async listWorkers(options: CallOptions = {}): Promise<RouterWorker[]> {
    try {
      const body = await this.transport.json<{ workers?: RouterWorker[] }>({ method: 'GET', path: '/workers', retry: true }, options);
      return body?.workers ?? [];
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const legacy = await this.transport.json<{ urls?: string[] }>({ method: 'GET', path: '/list_workers', retry: true }, options);
      return (legacy?.urls ?? []).map((url) => ({ url }));
    }
  }

  async workerUrls(options: CallOptions = {}): Promise<string[]> {
    return (await this.listWorkers(options)).map((w) => w.url);
  }

  /** Register a worker. The current API queues it (the router health-checks it before routing). */
  async addWorker(url: string, options: AddWorkerOptions = {}): Promise<AddWorkerResult> {
    const body = {
      url,
      ...(options.apiKey !== undefined ? { api_key: options.apiKey } : {}),
      ...(options.modelId !== undefined ? { model_id: options.modelId } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.cost !== undefined ? { cost: options.cost } : {}),
      ...(options.workerType !== undefined ? { worker_type: options.workerType } : {}),
      ...(options.bootstrapPort !== undefined ? { bootstrap_port: options.bootstrapPort } : {}),
      ...(options.labels !== undefined ? { labels: options.labels } : {}),
      ...(options.healthCheckIntervalSecs !== undefined ? { health_check_interval_secs: options.healthCheckIntervalSecs } : {}),
      ...(options.healthCheckTimeoutSecs !== undefined ? { health_check_timeout_secs: options.healthCheckTimeoutSecs } : {}),
      ...(options.disableHealthCheck !== undefined ? { disable_health_check: options.disableHealthCheck } : {}),
    };
    try {
      const res = await this.transport.json<{ worker_id?: string }>({ method: 'POST', path: '/workers', body, retry: false }, options);
      return { ...(res?.worker_id ? { workerId: res.worker_id } : {}), api: 'workers' };
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const query = new URLSearchParams({ url, ...(options.apiKey ? { api_key: options.apiKey } : {}) });
      await this.transport.send({ method: 'POST', path: `/add_worker?${query}`, retry: false }, options);
      return { api: 'legacy' };
    }
  }

  /** Deregister a worker by URL. Returns false when the router did not know it. */
  async removeWorker(url: string, options: CallOptions = {}): Promise<boolean> {
    let workers: RouterWorker[] | undefined;
    try {
      const body = await this.transport.json<{ workers?: RouterWorker[] }>({ method: 'GET', path: '/workers', retry: true }, options);
      workers = body?.workers ?? [];
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (workers === undefined) {
      await this.transport.send({ method: 'POST', path: `/remove_worker?${new URLSearchParams({ url })}`, retry: false }, options);
      return true;
    }
    const matches = workers.filter((w) => sameUrl(w.url, url) && w.id);
    for (const worker of matches) {
      try {
        await this.transport.send({ method: 'DELETE', path: `/workers/${encodeURIComponent(worker.id!)}`, retry: true }, options);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return matches.length > 0;
  }

  /** `GET /readiness`: true when the router has at least one healthy worker. */
  async ready(options: CallOptions = {}): Promise<boolean> {
    try {
      await this.transport.send({ method: 'GET', path: '/readiness', retry: false }, options);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'PHYSARUM_ABORTED') throw error;
      return false;
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof EngineHttpError && error.status === 404;
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
