/**
 * Expand a validated `/generate` request into one work item per output (docs/architecture.md, wire §1.3): a batch
 * of B prompts with `n` samples each gives B×n items, prompt-major; rids follow upstream's rules.
 * Defaults are SGLang's `/generate` constants (max_new_tokens 128, temperature 1, ...).
 * Shared by every server that speaks the SGLang wire.
 */
import { randomUUID } from 'node:crypto';
import { batchShape } from './sglang-validate.ts';
import type { GenerateRequest, SamplingParams } from '../../protocol/sglang-types.ts';

export interface ResolvedSampling {
  maxNewTokens: number | null;
  minNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  minP: number;
  frequencyPenalty: number;
  presencePenalty: number;
  repetitionPenalty: number;
  stop: string[];
  stopTokenIds: number[];
  ignoreEos: boolean;
  skipSpecialTokens: boolean;
  noStopTrim: boolean;
  n: number;
  streamInterval: number;
  samplingSeed: number | null;
}

export interface GenerateItem {
  /** Position in the expanded batch (the stream's `index`). */
  index: number;
  promptIndex: number;
  rid: string;
  text?: string;
  inputIds?: number[];
  sampling: ResolvedSampling;
  returnLogprob: boolean;
  /** -1: output logprobs only. */
  logprobStartLen: number;
  topLogprobsNum: number;
  returnTextInLogprobs: boolean;
}

export interface ExpandedRequest {
  items: GenerateItem[];
  /** Whether the response must be a JSON array (a batch input or `n > 1`). */
  isBatch: boolean;
  stream: boolean;
}

export function resolveSampling(params: SamplingParams = {}): ResolvedSampling {
  return {
    maxNewTokens: params.max_new_tokens === undefined ? 128 : params.max_new_tokens,
    minNewTokens: params.min_new_tokens ?? 0,
    temperature: params.temperature ?? 1,
    topP: params.top_p ?? 1,
    topK: params.top_k ?? -1,
    minP: params.min_p ?? 0,
    frequencyPenalty: params.frequency_penalty ?? 0,
    presencePenalty: params.presence_penalty ?? 0,
    repetitionPenalty: params.repetition_penalty ?? 1,
    stop: params.stop === undefined || params.stop === null ? [] : [params.stop].flat(),
    stopTokenIds: params.stop_token_ids ?? [],
    ignoreEos: params.ignore_eos ?? false,
    skipSpecialTokens: params.skip_special_tokens ?? true,
    noStopTrim: params.no_stop_trim ?? false,
    n: params.n ?? 1,
    streamInterval: Math.max(1, params.stream_interval ?? 1),
    samplingSeed: params.sampling_seed ?? null,
  };
}

const pick = <T>(value: T | T[] | undefined, i: number, fallback: T): T =>
  Array.isArray(value) ? (value[i] ?? fallback) : (value ?? fallback);

const freshRid = (): string => randomUUID().replaceAll('-', '');

export function expandGenerateRequest(request: GenerateRequest): ExpandedRequest {
  const { size, isBatch: batchInput } = batchShape(request);
  const firstParams = [request.sampling_params ?? {}].flat()[0] ?? {};
  const n = firstParams.n ?? 1;
  const items: GenerateItem[] = [];
  for (let p = 0; p < size; p++) {
    const params = Array.isArray(request.sampling_params) ? request.sampling_params[p] : request.sampling_params;
    const text = Array.isArray(request.text) ? request.text[p] : request.text;
    const ids = request.input_ids === undefined ? undefined : batchInput ? (request.input_ids[p] as number[]) : (request.input_ids as number[]);
    for (let j = 0; j < n; j++) {
      // n > 1 gives every sample a fresh uuid (upstream), so the caller's rid cannot abort it; use abort_all.
      let rid: string;
      if (n > 1) rid = freshRid();
      else if (Array.isArray(request.rid)) rid = request.rid[p]!;
      else if (request.rid !== undefined) rid = batchInput ? `${request.rid}_${p}` : request.rid;
      else rid = freshRid();
      items.push({
        index: p * n + j,
        promptIndex: p,
        rid,
        // Upstream takes tokens from input_ids when both are given.
        ...(ids !== undefined ? { inputIds: ids } : text !== undefined ? { text } : {}),
        sampling: resolveSampling(params),
        returnLogprob: pick(request.return_logprob, p, false),
        logprobStartLen: pick(request.logprob_start_len, p, -1),
        topLogprobsNum: pick(request.top_logprobs_num, p, 0),
        returnTextInLogprobs: request.return_text_in_logprobs ?? false,
      });
    }
  }
  return { items, isBatch: batchInput || n > 1, stream: request.stream ?? false };
}
