/**
 * The `/generate` response object of a scripted request, shaped like SGLang's (docs/architecture.md, wire §1.4):
 * meta_info keys in upstream order, logprob tuples, top-k alternatives, and latency stamps on
 * the final object only.
 */
import { DeterministicLogprobs } from '../server/finish-check.ts';
import type { GenerateItem } from '../server/generate-batch.ts';
import type { FinishReason, GenerateResponse, LogprobTuple, MetaInfo } from '../../protocol/sglang-types.ts';

/** A request item the scripted engine accepted: its full prompt, the scripted reply, its session hook. */
export interface PreparedItem {
  item: GenerateItem;
  promptIds: number[];
  replyIds: number[];
  cachedTokens: number;
  finishSession?: (output: number[]) => void;
}

export function buildResponse(
  prepared: PreparedItem,
  text: string,
  outputIds: number[],
  outputLogprobs: LogprobTuple[],
  finish: FinishReason | null,
  startedAt: number,
  weightVersion: string,
  vocabSize: number,
): GenerateResponse {
  const { item, promptIds } = prepared;
  const meta: MetaInfo = {
    id: item.rid,
    finish_reason: finish,
    prompt_tokens: promptIds.length,
    weight_version: weightVersion,
    num_retractions: 0,
    completion_tokens: outputIds.length,
    cached_tokens: prepared.cachedTokens,
  };
  if (item.returnLogprob) {
    const start = item.logprobStartLen;
    meta.input_token_logprobs =
      start < 0 ? [] : DeterministicLogprobs.forPrompt(promptIds, start).map((lp, k) => [lp, promptIds[start + k]!, null] as LogprobTuple);
    meta.output_token_logprobs = [...outputLogprobs];
    meta.output_token_logprobs_length = outputLogprobs.length;
    if (item.topLogprobsNum > 0) {
      // Stand-in alternatives: the sampled token first, then neighbours with lower logprobs.
      const vocab = Math.max(1, vocabSize);
      meta.output_top_logprobs = outputLogprobs.map(([lp, id]) =>
        Array.from({ length: item.topLogprobsNum }, (_, j) => [(lp ?? 0) - j * 0.75, (id + j) % vocab, null] as LogprobTuple),
      );
    }
  }
  if (finish) {
    meta.e2e_latency = (performance.now() - startedAt) / 1000;
    meta.response_sent_to_client_ts = Date.now() / 1000;
  }
  return { text, output_ids: [...outputIds], meta_info: meta };
}
