/**
 * Client of one SGLang server (or of a router, for `/generate` only: docs/architecture.md, wire §6 says session,
 * abort, pause and weight calls must go to each worker). Wire bodies are exact; helper methods
 * take camelCase options and build the snake_case bodies.
 */
import { InvalidInputError } from '../../protocol/errors.ts';
import { EngineHttpError } from './engine-errors.ts';
import { EngineTransport, type CallOptions, type RequestSpec, type TransportOptions } from './http-transport.ts';
import { routerProblems } from './router-compat.ts';
import { parseSseStream } from './sse.ts';
import { StreamDeltaTracker } from './stream-deltas.ts';
import type {
  ControlMessage,
  GenerateRequest,
  GenerateResponse,
  ModelInfo,
  PauseMode,
  ServerInfo,
  StreamChunk,
  StreamErrorEvent,
  UpdateWeightsResult,
} from '../../protocol/sglang-types.ts';

export interface SglangClientOptions extends TransportOptions {
  /**
   * The URL is an sglang-router: `generate` refuses bodies the router would silently change
   * (dropped keys, `max_new_tokens: null`, list `text`/`rid`) with an InvalidInputError.
   */
  behindRouter?: boolean;
  /** Set when the server runs with `--incremental-streaming-output` (chunks are deltas, not cumulative). */
  incrementalStreaming?: boolean;
}

export interface UpdateWeightsFromDiskOptions extends CallOptions {
  modelPath: string;
  weightVersion?: string;
  loadFormat?: string;
  abortAllRequests?: boolean;
  flushCache?: boolean;
  keepPause?: boolean;
  torchEmptyCache?: boolean;
}

export interface InitWeightsUpdateGroupOptions extends CallOptions {
  masterAddress: string;
  masterPort: number;
  rankOffset: number;
  worldSize: number;
  groupName?: string;
  backend?: string;
}

export interface UpdateWeightsFromDistributedOptions extends CallOptions {
  names: string[];
  dtypes: string[];
  shapes: number[][];
  groupName?: string;
  weightVersion?: string;
  flushCache?: boolean;
  abortAllRequests?: boolean;
  loadFormat?: 'flattened_bucket';
}

export interface GenerateOptions extends CallOptions {
  /**
   * Sent as `X-SMG-Routing-Key`: with the router's `manual` (sticky) or `consistent_hashing`
   * policy, every turn of an episode reaches the same worker and its KV cache. The router has no
   * rid- or session-based affinity.
   */
  routingKey?: string;
}

/** A `/generate` answer as a list, whether the server sent one object or an array. */
export function asResponseList(output: GenerateResponse | GenerateResponse[]): GenerateResponse[] {
  return Array.isArray(output) ? output : [output];
}

const MAX_REMEMBERED_ABORTS = 10_000;

export class SglangClient {
  readonly baseUrl: string;
  private readonly transport: EngineTransport;
  private readonly incrementalStreaming: boolean;
  private readonly behindRouter: boolean;
  /** Rid prefixes whose abort we requested: a retry would resurrect them (upstream matches by prefix). */
  private readonly abortedRids = new Set<string>();
  private abortAllEpoch = 0;

  constructor(baseUrl: string, options: SglangClientOptions = {}) {
    this.transport = new EngineTransport(baseUrl, options);
    this.baseUrl = this.transport.baseUrl;
    this.incrementalStreaming = options.incrementalStreaming ?? false;
    this.behindRouter = options.behindRouter ?? false;
  }

  /** `POST /generate`. An object for a single prompt; an array for a batch or `n > 1`. */
  async generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResponse | GenerateResponse[]> {
    const body = { ...request, stream: false };
    return this.transport.json<GenerateResponse | GenerateResponse[]>(this.generateSpec(body, options.routingKey), options);
  }

  /**
   * `POST /generate` with `stream: true`. Yields every chunk with cumulative fields (as upstream
   * sends them) plus `delta_*` fields. Breaking out of the loop closes the connection, which aborts
   * the request server-side. An in-stream error event, or a scheduler abort carrying a
   * `status_code`, throws `EngineHttpError`.
   */
  async *generateStream(request: GenerateRequest, options: GenerateOptions = {}): AsyncGenerator<StreamChunk> {
    const spec = this.generateSpec({ ...request, stream: true }, options.routingKey);
    const stream = await this.transport.openStream(spec, options);
    const tracker = new StreamDeltaTracker(this.incrementalStreaming);
    const endpoint = `POST ${this.baseUrl}/generate (stream)`;
    try {
      for await (const payload of parseSseStream(stream.body)) {
        const value = JSON.parse(payload) as GenerateResponse | StreamErrorEvent;
        if ('error' in value) throw new EngineHttpError(endpoint, value.error.code ?? 400, payload);
        const finish = value.meta_info?.finish_reason;
        if (finish?.type === 'abort' && typeof finish.status_code === 'number')
          throw new EngineHttpError(endpoint, finish.status_code, JSON.stringify({ error: { message: finish.message } }));
        yield tracker.next(value);
      }
    } finally {
      stream.close();
    }
  }

  /** `POST /abort_request`: by rid (prefix-matched upstream) or everything. Always 200 upstream. */
  async abortRequest(target: { rid?: string; abortAll?: boolean; abortMessage?: string }, options: CallOptions = {}): Promise<void> {
    if (target.abortAll) this.abortAllEpoch++;
    if (target.rid) {
      if (this.abortedRids.size >= MAX_REMEMBERED_ABORTS) this.abortedRids.delete(this.abortedRids.values().next().value as string);
      this.abortedRids.add(target.rid);
    }
    const body = { rid: target.rid ?? '', abort_all: target.abortAll ?? false, ...(target.abortMessage ? { abort_message: target.abortMessage } : {}) };
    await this.transport.send({ method: 'POST', path: '/abort_request', body, retry: true }, options);
  }

  /** `POST /open_session`; resolves to the session id (upstream answers a bare JSON string). */
  async openSession(
    params: { capacityOfStrLen: number; sessionId?: string; timeout?: number; streaming?: boolean },
    options: CallOptions = {},
  ): Promise<string> {
    const body = {
      capacity_of_str_len: params.capacityOfStrLen,
      ...(params.sessionId !== undefined ? { session_id: params.sessionId } : {}),
      ...(params.timeout !== undefined ? { timeout: params.timeout } : {}),
      ...(params.streaming !== undefined ? { streaming: params.streaming } : {}),
    };
    // Not retried: if the first try opened it, a retry would hit the duplicate-id 400.
    return this.transport.json<string>({ method: 'POST', path: '/open_session', body, retry: false }, options);
  }

  /** `POST /close_session`: 200 with an empty body, even for unknown ids. */
  async closeSession(sessionId: string, options: CallOptions = {}): Promise<void> {
    await this.transport.send({ method: 'POST', path: '/close_session', body: { session_id: sessionId }, retry: true }, options);
  }

  /** `GET /health`: true on 200; false on 503 (starting, stopping) or when unreachable. */
  health(options: CallOptions = {}): Promise<boolean> {
    return this.probe('/health', options);
  }

  /** `GET /health_generate`: like `health`, but upstream always runs a 1-token probe generation. */
  healthGenerate(options: CallOptions = {}): Promise<boolean> {
    return this.probe('/health_generate', options);
  }

  async modelInfo(options: CallOptions = {}): Promise<ModelInfo> {
    return this.getWithAlias<ModelInfo>('/model_info', '/get_model_info', options);
  }

  async serverInfo(options: CallOptions = {}): Promise<ServerInfo> {
    return this.getWithAlias<ServerInfo>('/server_info', '/get_server_info', options);
  }

  /** `POST /flush_cache`; upstream answers 400 while requests run (pause first). Returns the message text. */
  async flushCache(options: CallOptions = {}): Promise<string> {
    return (await this.transport.send({ method: 'POST', path: '/flush_cache', retry: true }, options)).text;
  }

  /** `POST /pause_generation`: new generates block until `continueGeneration`. */
  async pauseGeneration(mode: PauseMode = 'abort', options: CallOptions = {}): Promise<ControlMessage> {
    return this.transport.json<ControlMessage>({ method: 'POST', path: '/pause_generation', body: { mode }, retry: true }, options);
  }

  async continueGeneration(options: CallOptions = {}): Promise<ControlMessage> {
    return this.transport.json<ControlMessage>({ method: 'POST', path: '/continue_generation', body: {}, retry: true }, options);
  }

  /** `POST /update_weights_from_disk`. A failed load is an HTTP 400 upstream → `EngineHttpError`. */
  async updateWeightsFromDisk(params: UpdateWeightsFromDiskOptions): Promise<UpdateWeightsResult> {
    const body = {
      model_path: params.modelPath,
      ...(params.weightVersion !== undefined ? { weight_version: params.weightVersion } : {}),
      ...(params.loadFormat !== undefined ? { load_format: params.loadFormat } : {}),
      ...(params.abortAllRequests !== undefined ? { abort_all_requests: params.abortAllRequests } : {}),
      ...(params.flushCache !== undefined ? { flush_cache: params.flushCache } : {}),
      ...(params.keepPause !== undefined ? { keep_pause: params.keepPause } : {}),
      ...(params.torchEmptyCache !== undefined ? { torch_empty_cache: params.torchEmptyCache } : {}),
    };
    // Reloading the same checkpoint under the same version is harmless, so connection errors retry.
    return this.transport.json<UpdateWeightsResult>({ method: 'POST', path: '/update_weights_from_disk', body, retry: true }, params);
  }

  /** `POST /init_weights_update_group`. Blocks until the NCCL rendezvous, so the trainer must join concurrently. */
  async initWeightsUpdateGroup(params: InitWeightsUpdateGroupOptions): Promise<UpdateWeightsResult> {
    const body = {
      master_address: params.masterAddress,
      master_port: params.masterPort,
      rank_offset: params.rankOffset,
      world_size: params.worldSize,
      group_name: params.groupName ?? 'weight_update_group',
      backend: params.backend ?? 'nccl',
    };
    return this.transport.json<UpdateWeightsResult>({ method: 'POST', path: '/init_weights_update_group', body, retry: false }, params);
  }

  /** `POST /update_weights_from_distributed`: metadata of one bucket; the trainer broadcasts the tensors. */
  async updateWeightsFromDistributed(params: UpdateWeightsFromDistributedOptions): Promise<UpdateWeightsResult> {
    const body = {
      names: params.names,
      dtypes: params.dtypes,
      shapes: params.shapes,
      group_name: params.groupName ?? 'weight_update_group',
      flush_cache: params.flushCache ?? true,
      abort_all_requests: params.abortAllRequests ?? false,
      ...(params.weightVersion !== undefined ? { weight_version: params.weightVersion } : {}),
      ...(params.loadFormat !== undefined ? { load_format: params.loadFormat } : {}),
    };
    // Never retried: each call pairs with one broadcast on the trainer side.
    return this.transport.json<UpdateWeightsResult>({ method: 'POST', path: '/update_weights_from_distributed', body, retry: false }, params);
  }

  async destroyWeightsUpdateGroup(groupName = 'weight_update_group', options: CallOptions = {}): Promise<UpdateWeightsResult> {
    return this.transport.json<UpdateWeightsResult>({ method: 'POST', path: '/destroy_weights_update_group', body: { group_name: groupName }, retry: false }, options);
  }

  async updateWeightVersion(newVersion: string, abortAllRequests = true, options: CallOptions = {}): Promise<UpdateWeightsResult> {
    const body = { new_version: newVersion, abort_all_requests: abortAllRequests };
    return this.transport.json<UpdateWeightsResult>({ method: 'POST', path: '/update_weight_version', body, retry: true }, options);
  }

  async releaseMemoryOccupation(tags?: Array<'kv_cache' | 'weights' | 'cuda_graph'>, options: CallOptions = {}): Promise<void> {
    await this.transport.send({ method: 'POST', path: '/release_memory_occupation', body: tags ? { tags } : {}, retry: true }, options);
  }

  async resumeMemoryOccupation(tags?: Array<'kv_cache' | 'weights' | 'cuda_graph'>, options: CallOptions = {}): Promise<void> {
    await this.transport.send({ method: 'POST', path: '/resume_memory_occupation', body: tags ? { tags } : {}, retry: true }, options);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private generateSpec(body: GenerateRequest, routingKey: string | undefined): RequestSpec {
    if (this.behindRouter) {
      const problems = routerProblems(body);
      if (problems.length > 0) throw new InvalidInputError(`request to the router at ${this.baseUrl} would not arrive intact: ${problems.join('; ')}`);
    }
    const epoch = this.abortAllEpoch;
    const rids = [body.rid ?? []].flat();
    const abortRequested = (): boolean =>
      this.abortAllEpoch !== epoch || rids.some((rid) => [...this.abortedRids].some((prefix) => rid.startsWith(prefix)));
    return { method: 'POST', path: '/generate', body, retry: () => !abortRequested(), ...(routingKey ? { headers: { 'x-smg-routing-key': routingKey } } : {}) };
  }

  private async probe(path: string, options: CallOptions): Promise<boolean> {
    try {
      await this.transport.send({ method: 'GET', path, retry: false }, options);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'PHYSARUM_ABORTED') throw error;
      return false;
    }
  }

  private async getWithAlias<T>(path: string, legacyPath: string, options: CallOptions): Promise<T> {
    try {
      return await this.transport.json<T>({ method: 'GET', path, retry: true }, options);
    } catch (error) {
      if (!(error instanceof EngineHttpError) || error.status !== 404) throw error;
      return this.transport.json<T>({ method: 'GET', path: legacyPath, retry: true }, options);
    }
  }
}
