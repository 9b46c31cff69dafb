/**
 * `POST /generate` on the embedded engine: validate exactly as SGLang does (shared validator),
 * expand batches and `n`, run every sample concurrently on the engine, and answer with SGLang's
 * JSON shapes, either as one body or as cumulative SSE chunks.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { expandGenerateRequest } from '../server/generate-batch.ts';
import { SseWriter } from '../client/sse.ts';
import type { GenerateRequest, GenerateResponse, LogprobTuple, SamplingParams } from '../../protocol/sglang-types.ts';
import { batchShape, validateGenerateRequest } from '../server/sglang-validate.ts';
import type { EmbeddedEngine, ItemResult } from './embedded-engine.ts';
import type { GenerationProgress } from './run-generation.ts';
import { BadGenerateRequest } from '../server/bad-request.ts';
import type { SessionStore } from '../server/session-store.ts';
import { trimAtStop } from './stop-matcher.ts';

interface PlannedItem {
  index: number;
  rid: string;
  inputIds: number[];
  params: SamplingParams;
  sampleIndex: number;
  returnLogprob: boolean;
  /** `top_logprobs_num` when logprobs are returned, else 0. */
  topLogprobs: number;
  /** `logprob_start_len` when logprobs are returned and it is >= 0. */
  inputLogprobStart?: number;
  /** `token_ids_logprob` for this prompt, when logprobs are returned. */
  tokenIdsLogprob?: number[];
  record?: (output: readonly number[], maxNewTokens: number | null) => void;
}

function pick<T>(value: T | T[] | undefined, i: number): T | undefined {
  return Array.isArray(value) ? value[i] : value;
}

function checkUnsupported(request: GenerateRequest): void {
  if (pick(request.lora_path, 0)) throw new BadGenerateRequest('lora_path is not supported by the embedded llama.cpp engine.');
}

/** One item per (prompt, sample), prompt-major, with SGLang's rid rules (the shared expansion). */
export function planItems(request: GenerateRequest, engine: EmbeddedEngine, sessions: SessionStore): PlannedItem[] {
  checkUnsupported(request);
  const tokenized = new Map<number, number[]>();
  return expandGenerateRequest(request).items.map((expanded) => {
    let inputIds = expanded.inputIds;
    if (!inputIds) {
      // Tokenize each prompt once, however many samples it has.
      inputIds = tokenized.get(expanded.promptIndex) ?? engine.tokenize(expanded.text ?? '');
      tokenized.set(expanded.promptIndex, inputIds);
    }
    const { n: _n, ...params } = pick(request.sampling_params, expanded.promptIndex) ?? {};
    const item: PlannedItem = {
      index: expanded.index, rid: expanded.rid, inputIds, params,
      sampleIndex: expanded.index - expanded.promptIndex * expanded.sampling.n, returnLogprob: expanded.returnLogprob,
      topLogprobs: expanded.returnLogprob ? expanded.topLogprobsNum : 0,
    };
    if (request.session_params) {
      const resolved = sessions.begin(request.session_params, item.rid, inputIds, engine.model.tokens.bos, () => engine.abort({ rid: item.rid }));
      item.inputIds = resolved.context;
      item.record = resolved.finish;
    }
    const wanted = request.token_ids_logprob;
    if (expanded.returnLogprob && Array.isArray(wanted) && wanted.length > 0)
      item.tokenIdsLogprob = Array.isArray(wanted[0]) ? ((wanted as number[][])[expanded.promptIndex] ?? []) : (wanted as number[]);
    if (expanded.returnLogprob && expanded.logprobStartLen >= 0) {
      // Positions count over the full context, sessions included (as upstream).
      if (expanded.logprobStartLen >= item.inputIds.length)
        throw new BadGenerateRequest(`logprob_start_len (${expanded.logprobStartLen}) is greater than or equal to the input length (${item.inputIds.length}).`);
      item.inputLogprobStart = expanded.logprobStartLen;
    }
    return item;
  });
}

function tuple(engine: EmbeddedEngine, logprob: number | undefined, id: number, withText: boolean): LogprobTuple {
  return [logprob ?? null, id, withText ? engine.detokenize([id], { skipSpecialTokens: false }) : null];
}

function logprobTuples(engine: EmbeddedEngine, progress: GenerationProgress, withText: boolean): LogprobTuple[] {
  return progress.outputIds.map((id, k) => tuple(engine, progress.logprobs[k], id, withText));
}

/** `input_token_logprobs` and the logprob arrays of the output, as SGLang lays them out. */
function logprobMeta(engine: EmbeddedEngine, item: PlannedItem, progress: GenerationProgress, withText: boolean): Partial<GenerateResponse['meta_info']> {
  const inputIds = item.inputLogprobStart === undefined ? [] : item.inputIds.slice(item.inputLogprobStart);
  const meta: Partial<GenerateResponse['meta_info']> = {
    input_token_logprobs: progress.input ? inputIds.map((id, k) => tuple(engine, progress.input!.logprobs[k] ?? undefined, id, withText)) : [],
    output_token_logprobs: logprobTuples(engine, progress, withText),
  };
  const rows = (list: ReadonlyArray<ReadonlyArray<readonly [number, number]> | null>): Array<LogprobTuple[] | null> =>
    list.map((row) => (row === null ? null : row.map(([id, lp]) => tuple(engine, lp, id, withText))));
  if (item.topLogprobs > 0) {
    meta.input_top_logprobs = progress.input?.top ? rows(progress.input.top) : [];
    meta.output_top_logprobs = rows(progress.topLogprobs ?? []);
  }
  if (item.tokenIdsLogprob) {
    meta.input_token_ids_logprobs = progress.input?.tokenIds ? rows(progress.input.tokenIds) : [];
    meta.output_token_ids_logprobs = rows(progress.tokenIdsLogprobs ?? []);
  }
  return meta;
}

function outputText(engine: EmbeddedEngine, item: PlannedItem, outputIds: readonly number[], stopString?: string): string {
  const text = engine.detokenize(outputIds, { skipSpecialTokens: item.params.skip_special_tokens ?? true });
  return stopString !== undefined && !item.params.no_stop_trim ? trimAtStop(text, { matched: stopString }) : text;
}

function responseFor(engine: EmbeddedEngine, request: GenerateRequest, item: PlannedItem, result: ItemResult, startedAt: number): GenerateResponse {
  const meta: GenerateResponse['meta_info'] = {
    id: result.rid,
    finish_reason: result.finishReason,
    prompt_tokens: result.promptTokens,
    weight_version: result.weightVersion,
    completion_tokens: result.outputIds.length,
    cached_tokens: result.cachedTokens,
  };
  if (item.returnLogprob) {
    Object.assign(meta, logprobMeta(engine, item, result, request.return_text_in_logprobs === true));
    meta.output_token_logprobs_length = result.outputIds.length;
  }
  meta.e2e_latency = (performance.now() - startedAt) / 1000;
  const response: GenerateResponse = { text: outputText(engine, item, result.outputIds, result.stopString), output_ids: [...result.outputIds], meta_info: meta };
  if (request.return_prompt_token_ids) response.prompt_token_ids = [...item.inputIds];
  return response;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json' });
  res.end(text);
}

export async function handleGenerate(req: IncomingMessage, res: ServerResponse, rawBody: string, engine: EmbeddedEngine, sessions: SessionStore): Promise<void> {
  const startedAt = performance.now();
  const validation = validateGenerateRequest(rawBody);
  if (!validation.ok) {
    res.writeHead(validation.status, { 'content-type': validation.contentType });
    res.end(typeof validation.body === 'string' ? validation.body : JSON.stringify(validation.body));
    return;
  }
  const request = validation.request;
  const streaming = request.stream === true;
  const { isBatch } = batchShape(request);
  const asArray = isBatch || (pick(request.sampling_params, 0)?.n ?? 1) > 1;
  // A client that goes away aborts its requests server-side, as upstream does.
  const disconnect = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) disconnect.abort(new Error('client disconnected'));
  });
  const sse = streaming ? new SseWriter(res) : undefined;
  sse?.start();
  let items: PlannedItem[];
  try {
    items = planItems(request, engine, sessions);
  } catch (error) {
    if (!(error instanceof BadGenerateRequest)) throw error;
    if (sse) sse.error(error.message, 400);
    else sendJson(res, 400, { error: { message: error.message } });
    return;
  }
  const interval = Math.max(1, pick(request.sampling_params, 0)?.stream_interval ?? 1);
  const withIndex = (item: PlannedItem, body: GenerateResponse): GenerateResponse => (asArray ? { ...body, index: item.index } : body);
  const run = async (item: PlannedItem): Promise<GenerateResponse> => {
    const onToken = sse
      ? (progress: GenerationProgress): void => {
          if (progress.outputIds.length % interval !== 0) return;
          const meta: GenerateResponse['meta_info'] = {
            id: item.rid, finish_reason: null, prompt_tokens: item.inputIds.length, weight_version: engine.weightVersion,
            completion_tokens: progress.outputIds.length, cached_tokens: progress.cachedTokens,
          };
          if (item.returnLogprob) Object.assign(meta, logprobMeta(engine, item, progress, request.return_text_in_logprobs === true));
          // Hold back a trailing partial UTF-8 character, as SGLang's incremental detokenizer does.
          const text = outputText(engine, item, progress.outputIds).replace(/\uFFFD+$/, '');
          sse.send(withIndex(item, { text, output_ids: [...progress.outputIds], meta_info: meta }));
        }
      : undefined;
    const result = await engine.generate(
      {
        rid: item.rid, inputIds: item.inputIds, params: item.params, sampleIndex: item.sampleIndex, topLogprobs: item.topLogprobs,
        ...(item.inputLogprobStart !== undefined ? { inputLogprobStart: item.inputLogprobStart } : {}),
        ...(item.tokenIdsLogprob ? { tokenIdsLogprob: item.tokenIdsLogprob } : {}),
      },
      { signal: disconnect.signal, ...(onToken ? { onToken } : {}) },
    );
    item.record?.(result.outputIds, result.outputIds.length);
    const body = withIndex(item, responseFor(engine, request, item, result, startedAt));
    sse?.send(body);
    return body;
  };
  let responses: GenerateResponse[];
  try {
    responses = await Promise.all(items.map(run));
  } catch (error) {
    if (!(error instanceof BadGenerateRequest)) throw error;
    disconnect.abort(error);
    if (sse) sse.error(error.message, 400);
    else sendJson(res, 400, { error: { message: error.message } });
    return;
  }
  if (sse) sse.done();
  else sendJson(res, 200, asArray ? responses : responses[0]);
}
