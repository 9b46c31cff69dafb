/**
 * Log-probs of the prompt's own tokens (SGLang's `logprob_start_len` >= 0): the prompt is
 * evaluated with the full next-token distribution at every position from the start, under the
 * request's sampling settings, and each following prompt token is looked up in it. The first
 * entry is always null, as upstream (nothing predicts the token at the start position).
 */
import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import { firstEntries, lookUp } from './distribution.ts';
import type { SamplingPlan } from './sampling-plan.ts';

export interface InputLogprobs {
  logprobs: Array<number | null>;
  /** Per position, the most probable `[token, logprob]` pairs (null first), when asked for. */
  top?: Array<Array<[number, number]> | null>;
  /** Per position, `[token, logprob]` of each requested id (null first), when asked for. */
  tokenIds?: Array<Array<[number, number]> | null>;
}

/**
 * Evaluate `prompt` up to (not including) its last token, which the generator evaluates next.
 * The sequence must hold at most `start` prompt tokens already (their logits are gone).
 */
export async function evaluatePromptLogprobs(
  sequence: LlamaContextSequence,
  prompt: readonly number[],
  start: number,
  plan: SamplingPlan,
  topK: number,
): Promise<InputLogprobs> {
  const from = sequence.nextTokenIndex;
  const options = { temperature: plan.temperature, topK: plan.topK, topP: plan.topP, minP: plan.minP, seed: plan.seed };
  const items = prompt.slice(from, prompt.length - 1).map((token, i) =>
    from + i >= start ? ([token as Token, { generateNext: { probabilities: true, options } }] as const) : (token as Token),
  );
  const outputs = items.length > 0 ? await sequence.controlledEvaluate(items as never) : [];
  const result: InputLogprobs = { logprobs: [null], ...(topK > 0 ? { top: [null] } : {}), ...(plan.tokenIdsLogprob ? { tokenIds: [null] } : {}) };
  for (let position = start; position < prompt.length - 1; position++) {
    const probabilities = outputs[position - from]?.next.probabilities;
    const p = probabilities?.get(prompt[position + 1] as Token) ?? 0;
    result.logprobs.push(Math.log(p));
    result.top?.push(firstEntries(probabilities, topK));
    if (plan.tokenIdsLogprob) result.tokenIds?.push(lookUp(probabilities, plan.tokenIdsLogprob));
  }
  return result;
}
