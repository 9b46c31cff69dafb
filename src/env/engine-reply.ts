/**
 * Reads one `/generate` answer into what the ledger needs: the sampled ids and their log-probs
 * exactly as returned (contract 1), checked for consistency. A reply the engine got wrong is an
 * `EngineReplyError` (status `model_error`).
 */
import type { GenerateResponse } from '../protocol/sglang-types.ts';
import { PhysarumError } from '../protocol/errors.ts';
import type { SampleStatus } from '../protocol/sample.ts';

export class EngineReplyError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'model_error';
  constructor(message: string) {
    super('PHYSARUM_ENGINE_HTTP', message);
  }
}

export interface SampledOutput {
  ids: number[];
  logProbs: number[];
  weightVersion: string;
  finish: 'stop' | 'length' | 'abort';
  /** The matched stop token id, when generation ended on one (it is part of `ids`). */
  matchedStopId: number | undefined;
  promptTokens: number;
  cachedTokens: number;
}

/**
 * orjson writes a -inf log-prob as null. A sampled token cannot have probability 0, so a null here
 * can only mean underflow; it is kept as the most negative finite double so JSON round-trips.
 */
const NULL_LOGPROB = -Number.MAX_VALUE;

export function readGenerateResponse(response: GenerateResponse, endpoint: string): SampledOutput {
  const meta = response.meta_info;
  const finish = meta?.finish_reason;
  if (!meta || !finish) throw new EngineReplyError(`${endpoint} returned no meta_info.finish_reason`);
  if (finish.type === 'abort' && typeof finish.status_code === 'number')
    throw new EngineReplyError(`${endpoint} rejected the request (${finish.status_code}): ${finish.message}`);
  const ids = response.output_ids ?? [];
  const tuples = meta.output_token_logprobs;
  if (!Array.isArray(tuples)) throw new EngineReplyError(`${endpoint} returned no output_token_logprobs (is return_logprob dropped on the way?)`);
  if (tuples.length !== ids.length)
    throw new EngineReplyError(`${endpoint} returned ${ids.length} output_ids but ${tuples.length} output_token_logprobs`);
  const logProbs = tuples.map((tuple, i) => {
    if (tuple[1] !== ids[i]) throw new EngineReplyError(`${endpoint}: output_token_logprobs[${i}] is for token ${tuple[1]}, output_ids[${i}] is ${ids[i]}`);
    return tuple[0] ?? NULL_LOGPROB;
  });
  return {
    ids,
    logProbs,
    weightVersion: meta.weight_version ?? 'default',
    finish: finish.type,
    matchedStopId: finish.type === 'stop' && typeof finish.matched === 'number' ? finish.matched : undefined,
    promptTokens: meta.prompt_tokens ?? 0,
    cachedTokens: meta.cached_tokens ?? 0,
  };
}
