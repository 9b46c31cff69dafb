/**
 * One generation on one llama.cpp sequence: reuse the cached prefix, evaluate the rest of the
 * prompt, then sample token by token until EOS, a stop token or string, `max_new_tokens`, or an
 * abort. Each reported log-prob is the llama.cpp sampler's probability of the token it picked,
 * under the full softmax at the request's temperature (top-k 0, top-p 1, min-p 0 unless asked),
 * so it is the probability the token was actually drawn with.
 */
import type { LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { FinishReason } from '../../protocol/sglang-types.ts';
import { EmbeddedEngineError } from './llama-runtime.ts';
import { commonPrefixLength } from './slot-pool.ts';
import { firstEntries, lookUp } from './distribution.ts';
import { evaluatePromptLogprobs, type InputLogprobs } from './input-logprobs.ts';
import type { SamplingPlan } from './sampling-plan.ts';

export interface GenerationProgress {
  outputIds: readonly number[];
  logprobs: readonly number[];
  /** Per position, the most probable `[token, logprob]` pairs (only with `topLogprobs`). */
  topLogprobs?: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  /** Per position, `[token, logprob]` of each `tokenIdsLogprob` id (only when asked for). */
  tokenIdsLogprobs?: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  /** Prompt tokens whose KV was reused from the sequence's cache. */
  cachedTokens: number;
  /** The prompt's log-probs, when `inputLogprobStart` asked for them. */
  input?: InputLogprobs;
}

export interface GenerationResult extends GenerationProgress {
  finishReason: FinishReason;
  /** The matched stop string, when a string or regex ended the generation. */
  stopString?: string;
}

export interface GenerationHooks {
  signal?: AbortSignal;
  /** Awaited before each sampled token: a paused engine holds generation here. */
  beforeToken?: () => Promise<void>;
  onToken?: (progress: GenerationProgress) => void;
}

const ABORTED: FinishReason = { type: 'abort', message: 'Aborted', status_code: null, err_type: null };

/** Make the sequence hold a prefix of `prompt` and return how many of its tokens are cached. */
async function reusePrefix(sequence: LlamaContextSequence, prompt: readonly number[], limit = prompt.length - 1): Promise<number> {
  // At least the last prompt token must be evaluated again: its logits give the first sample.
  const cached = Math.min(commonPrefixLength(sequence.contextTokens, prompt), prompt.length - 1, limit);
  if (cached < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: cached, end: sequence.nextTokenIndex }]);
  return cached;
}

export async function runGeneration(
  sequence: LlamaContextSequence,
  model: LlamaModel,
  prompt: readonly number[],
  plan: SamplingPlan,
  hooks: GenerationHooks = {},
): Promise<GenerationResult> {
  const outputIds: number[] = [];
  const logprobs: number[] = [];
  const topK = plan.topLogprobs ?? 0;
  const topLogprobs: Array<Array<[number, number]>> | undefined = topK > 0 ? [] : undefined;
  const wanted = plan.tokenIdsLogprob;
  const tokenIdsLogprobs: Array<Array<[number, number]>> | undefined = wanted ? [] : undefined;
  const inputStart = plan.inputLogprobStart;
  // Prompt positions whose distributions are reported must be evaluated, not taken from the cache.
  const cachedTokens = await reusePrefix(sequence, prompt, inputStart ?? prompt.length - 1);
  const input = inputStart === undefined ? undefined : await evaluatePromptLogprobs(sequence, prompt, inputStart, plan, topK);
  const finish = (finishReason: FinishReason, stopString?: string): GenerationResult => ({
    outputIds, logprobs, finishReason, cachedTokens, ...(topLogprobs ? { topLogprobs } : {}), ...(input ? { input } : {}),
    ...(tokenIdsLogprobs ? { tokenIdsLogprobs } : {}),
    ...(stopString !== undefined ? { stopString } : {}),
  });
  if (plan.maxNewTokens === 0) return finish({ type: 'length', length: 0 });
  if (hooks.signal?.aborted) return finish(ABORTED);
  await hooks.beforeToken?.();
  const penalty = plan.repetitionPenalty;
  const generator = sequence.evaluateWithMetadata(prompt.slice(sequence.nextTokenIndex) as Token[], { confidence: true, probabilities: topK > 0 || wanted !== undefined }, {
    temperature: plan.temperature,
    topK: plan.topK,
    topP: plan.topP,
    minP: plan.minP,
    seed: plan.seed,
    yieldEogToken: true,
    ...(plan.tokenBias ? { tokenBias: plan.tokenBias } : {}),
    ...(penalty
      ? { repeatPenalty: { punishTokens: () => outputIds as Token[], penalty: penalty.penalty, frequencyPenalty: penalty.frequencyPenalty, presencePenalty: penalty.presencePenalty } }
      : {}),
    // Requests are checked against the context size up front, so a shift would be a bug: fail loudly.
    contextShift: { strategy: () => { throw new EmbeddedEngineError('context overflow in the embedded engine'); } },
  });
  try {
    for await (const step of generator) {
      outputIds.push(step.token);
      logprobs.push(Math.log(step.confidence));
      const distribution = (step as { probabilities?: Map<Token, number> }).probabilities;
      if (topLogprobs) topLogprobs.push(firstEntries(distribution, topK));
      if (tokenIdsLogprobs && wanted) tokenIdsLogprobs.push(lookUp(distribution, wanted));
      hooks.onToken?.({
        outputIds, logprobs, cachedTokens, ...(topLogprobs ? { topLogprobs } : {}), ...(input ? { input } : {}),
        ...(tokenIdsLogprobs ? { tokenIdsLogprobs } : {}),
      });
      if (plan.stopTokenIds.has(step.token)) return finish({ type: 'stop', matched: step.token });
      const stop = plan.stopMatcher.check(outputIds);
      if (stop) return finish({ type: 'stop', matched: stop.matched }, stop.matched);
      if (outputIds.length >= plan.maxNewTokens) return finish({ type: 'length', length: plan.maxNewTokens });
      if (hooks.signal?.aborted) return finish(ABORTED);
      await hooks.beforeToken?.();
      if (hooks.signal?.aborted) return finish(ABORTED);
    }
    // The generator only ends on its own if llama.cpp produced no token at all.
    return finish({ type: 'stop', matched: outputIds.at(-1) ?? -1 });
  } finally {
    await generator.return();
  }
}
