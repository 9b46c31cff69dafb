/**
 * The driver's side of the trainer worker RPC (contract 5; src/protocol/trainer-rpc.ts): JSON
 * control verbs, and the Data Buffer's trainer-batch frame sent as the raw body of `train_step`
 * and `compute_logprobs` (no re-encoding). Every call has a deadline and takes an AbortSignal;
 * a worker error comes back as a TrainerError carrying the worker's code, rank and verb.
 */
import { Unpackr } from 'msgpackr';
import { Pool } from 'undici';
import { combineSignals, InvalidInputError, PhysarumError, type ErrorCode } from '../protocol/errors.ts';
import {
  ARGS_HEADER,
  ExportWeightsArgs,
  ExportWeightsResult,
  FRAME_CONTENT_TYPE,
  InitResult,
  LoadArgs,
  LoadResult,
  SaveArgs,
  TRAINER_ERROR_CODES,
  TrainStepArgs,
  TrainStepResult,
  WorkerErrorBody,
  WorkerInitConfig,
  WorkerStats,
  ComputeLogprobsArgs,
  type TrainerVerb,
  type WorkerInitInput,
} from '../protocol/trainer-rpc.ts';
import type { z } from 'zod';

/** A failure the worker reported (or a call that never got an answer: code PHYSARUM_TRAINER). */
export class TrainerError extends PhysarumError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly rank: number | null,
    readonly verb: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(code, message, { cause: options.cause, isRetryable: false });
    this.status = options.status;
  }
  readonly status: number | undefined;
}

export interface TrainerClientOptions {
  /** Sent as `authorization: Bearer <token>` (required by a worker bound beyond loopback). */
  token?: string;
  /** Per-call deadline (default 30 minutes: a large step or export is slow). */
  timeoutMs?: number;
}

export interface TrainerCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface LogprobsResult {
  rolloutIds: string[];
  responseLengths: number[];
  /** Every response token of every sample, in frame order. */
  logProbs: Float32Array;
  entropy: Float32Array;
}

const unpackr = new Unpackr({ useRecords: false });
const KNOWN_CODES = new Set<string>(TRAINER_ERROR_CODES);

function floats(bytes: Uint8Array): Float32Array {
  // msgpack bin payloads may sit at any offset; copy once to an aligned buffer.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer, 0, bytes.byteLength / 4);
}

export class TrainerClient {
  readonly url: string;
  private readonly pool: Pool;
  private readonly options: TrainerClientOptions;

  constructor(url: string, options: TrainerClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidInputError(`trainer worker URL '${url}' is not a valid URL (expected e.g. http://127.0.0.1:8765)`);
    }
    this.url = url.replace(/\/+$/, '');
    this.options = options;
    this.pool = new Pool(parsed.origin, { connections: 4, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000 });
  }

  async init(config: WorkerInitInput, options: TrainerCallOptions = {}): Promise<InitResult> {
    return InitResult.parse(await this.json('init', WorkerInitConfig.parse(config), options));
  }

  async computeLogprobs(frame: Uint8Array, args: z.input<typeof ComputeLogprobsArgs> = {}, options: TrainerCallOptions = {}): Promise<LogprobsResult> {
    const body = await this.call('compute_logprobs', frame, ComputeLogprobsArgs.parse(args), options);
    const raw = unpackr.unpack(body) as { rolloutIds: string[]; responseLengths: number[]; logProbs: Uint8Array; entropy: Uint8Array };
    return { rolloutIds: raw.rolloutIds, responseLengths: raw.responseLengths, logProbs: floats(raw.logProbs), entropy: floats(raw.entropy) };
  }

  async trainStep(frame: Uint8Array, args: z.input<typeof TrainStepArgs>, options: TrainerCallOptions = {}): Promise<TrainStepResult> {
    TrainStepArgs.parse(args); // validate here; send the override as given (the worker merges it key by key)
    const body = await this.call('train_step', frame, args, options);
    return TrainStepResult.parse(this.unwrap(body, 'train_step'));
  }

  async save(args: z.input<typeof SaveArgs>, options: TrainerCallOptions = {}): Promise<{ dir: string }> {
    return (await this.json('save', SaveArgs.parse(args), options)) as { dir: string };
  }

  async load(args: z.input<typeof LoadArgs>, options: TrainerCallOptions = {}): Promise<LoadResult> {
    return LoadResult.parse(await this.json('load', LoadArgs.parse(args), options));
  }

  async exportWeights(args: z.input<typeof ExportWeightsArgs>, options: TrainerCallOptions = {}): Promise<ExportWeightsResult> {
    return ExportWeightsResult.parse(await this.json('export_weights', ExportWeightsArgs.parse(args), options));
  }

  async stats(options: TrainerCallOptions = {}): Promise<WorkerStats> {
    return WorkerStats.parse(await this.json('stats', {}, options));
  }

  async shutdown(options: TrainerCallOptions = {}): Promise<void> {
    await this.json('shutdown', {}, options);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async json(verb: TrainerVerb, args: unknown, options: TrainerCallOptions): Promise<unknown> {
    return this.unwrap(await this.call(verb, undefined, args, options), verb);
  }

  private unwrap(body: Uint8Array, verb: string): unknown {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { ok: boolean; result: unknown };
    if (!parsed.ok) throw new TrainerError('PHYSARUM_TRAINER', `${verb}: the worker answered without ok`, null, verb);
    return parsed.result;
  }

  /** POST /v1/<verb>; the body of a 200 answer, or a TrainerError. */
  private async call(verb: TrainerVerb, frame: Uint8Array | undefined, args: unknown, options: TrainerCallOptions): Promise<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 1_800_000;
    const signal = combineSignals([options.signal], timeoutMs);
    const headers: Record<string, string> = frame
      ? { 'content-type': FRAME_CONTENT_TYPE, [ARGS_HEADER]: JSON.stringify(args ?? {}) }
      : { 'content-type': 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let status: number;
    let body: Uint8Array;
    try {
      const res = await this.pool.request({
        method: 'POST', path: `/v1/${verb}`, headers, body: frame ?? JSON.stringify(args ?? {}), ...(signal ? { signal } : {}),
      });
      status = res.statusCode;
      body = new Uint8Array(await res.body.arrayBuffer());
    } catch (error) {
      const reason = signal?.aborted && !options.signal?.aborted ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      throw new TrainerError(options.signal?.aborted ? 'PHYSARUM_ABORTED' : 'PHYSARUM_TRAINER', `trainer worker ${verb} at ${this.url}: ${reason}`, null, verb, { cause: error });
    }
    if (status === 200) return body;
    const text = Buffer.from(body).toString('utf8');
    let wire: WorkerErrorBody['error'] | undefined;
    try {
      wire = WorkerErrorBody.parse(JSON.parse(text)).error;
    } catch {
      throw new TrainerError('PHYSARUM_TRAINER', `trainer worker ${verb}: HTTP ${status}: ${text.slice(0, 300)}`, null, verb, { status });
    }
    const code = (KNOWN_CODES.has(wire.code) ? wire.code : 'PHYSARUM_TRAINER') as ErrorCode;
    throw new TrainerError(code, `${verb}: ${wire.message}`, wire.rank, wire.verb, { status });
  }
}
