/**
 * SGLang `sampling_params` → the plan the llama.cpp sampler runs. Defaults follow SGLang's
 * `/generate` constants (max_new_tokens 128, temperature 1, no top-k/top-p/min-p filtering);
 * features llama.cpp cannot honour exactly are refused with a 400 naming the key, never ignored.
 */
import { randomInt } from 'node:crypto';
import { TokenBias, type LlamaModel, type Token } from 'node-llama-cpp';
import { BadGenerateRequest } from '../server/bad-request.ts';
import type { SamplingParams } from '../../protocol/sglang-types.ts';
import { StopMatcher } from './stop-matcher.ts';


export interface SamplingPlan {
  maxNewTokens: number;
  /** 0 means greedy; log-probs are then under the raw (temperature 1) distribution. */
  temperature: number;
  /** 0 disables top-k. */
  topK: number;
  topP: number;
  minP: number;
  seed: number;
  /** Token ids that end generation and are kept in the output (EOS unless `ignore_eos`, plus `stop_token_ids`). */
  stopTokenIds: ReadonlySet<number>;
  stopMatcher: StopMatcher;
  /** Alternatives to report per position (`top_logprobs_num`); 0 skips the full distribution. */
  topLogprobs?: number;
  /** `logprob_start_len` >= 0: report the prompt's log-probs from this position on. */
  inputLogprobStart?: number;
  /** `token_ids_logprob`: ids whose log-probs are reported at every position. */
  tokenIdsLogprob?: readonly number[];
  tokenBias?: TokenBias;
  repetitionPenalty?: { penalty: number; frequencyPenalty: number; presencePenalty: number };
}

const UNSUPPORTED: Array<keyof SamplingParams> = ['json_schema', 'regex', 'ebnf', 'structural_tag'];

export interface PlanContext {
  model: LlamaModel;
  /** Tokens that end generation unless `ignore_eos` (EOS/EOT of the GGUF). */
  eosTokenIds: readonly number[];
  promptLength: number;
  contextSize: number;
  /** Index of this sample among the `n` of its prompt: seeds differ per sample. */
  sampleIndex: number;
}

function maxNewTokensFor(params: SamplingParams, promptLength: number, contextSize: number): number {
  if (promptLength >= contextSize)
    throw new BadGenerateRequest(`The input (${promptLength} tokens) is longer than the model's context length (${contextSize} tokens).`);
  const requested = params.max_new_tokens === undefined ? 128 : params.max_new_tokens;
  // `null` means "no cap": the scheduler quietly clips to what fits, as SGLang does.
  if (requested === null) return contextSize - promptLength;
  if (promptLength + requested > contextSize)
    throw new BadGenerateRequest(
      `Requested token count exceeds the model's maximum context length of ${contextSize} tokens. ` +
        `You requested a total of ${promptLength + requested} tokens: ${promptLength} tokens from the input messages and ` +
        `${requested} tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.`,
    );
  return requested;
}

function compileStopRegexes(source: string | string[] | null | undefined): RegExp[] {
  return [source ?? []].flat().map((pattern) => {
    try {
      return new RegExp(pattern, 'u');
    } catch (error) {
      throw new BadGenerateRequest(`Invalid stop_regex ${JSON.stringify(pattern)}: ${(error as Error).message}`);
    }
  });
}

export function buildSamplingPlan(params: SamplingParams, context: PlanContext): SamplingPlan {
  for (const key of UNSUPPORTED)
    if (params[key] !== undefined && params[key] !== null) throw new BadGenerateRequest(`sampling_params.${key} is not supported by the embedded llama.cpp engine.`);
  if ((params.min_new_tokens ?? 0) > 0)
    throw new BadGenerateRequest('sampling_params.min_new_tokens > 0 is not supported by the embedded llama.cpp engine.');
  const temperature = params.temperature ?? 1;
  const stopTokenIds = new Set<number>(params.stop_token_ids ?? []);
  if (!params.ignore_eos) for (const id of context.eosTokenIds) stopTokenIds.add(id);
  let tokenBias: TokenBias | undefined;
  if (params.logit_bias && Object.keys(params.logit_bias).length > 0) {
    tokenBias = new TokenBias(context.model.tokenizer);
    // TokenBias.set() silently skips end-of-generation tokens, but SGLang biases EOS like any other
    // id; node-llama-cpp is pinned at 3.21.1, whose sampler reads this map as is.
    const biases = (tokenBias as unknown as { _biases: Map<Token, number> })._biases;
    for (const [id, bias] of Object.entries(params.logit_bias)) biases.set(Number(id) as Token, bias);
  }
  const penalty = {
    penalty: params.repetition_penalty ?? 1,
    frequencyPenalty: params.frequency_penalty ?? 0,
    presencePenalty: params.presence_penalty ?? 0,
  };
  const seed = params.sampling_seed ?? randomInt(2 ** 31);
  return {
    maxNewTokens: maxNewTokensFor(params, context.promptLength, context.contextSize),
    temperature: temperature < 1e-6 ? 0 : temperature,
    topK: params.top_k === undefined || params.top_k === -1 ? 0 : params.top_k,
    topP: params.top_p ?? 1,
    minP: params.min_p ?? 0,
    // n samples of one prompt with one sampling_seed must still differ from each other.
    seed: (seed + context.sampleIndex) >>> 0,
    stopTokenIds,
    stopMatcher: new StopMatcher(context.model, [params.stop ?? []].flat(), compileStopRegexes(params.stop_regex)),
    ...(tokenBias ? { tokenBias } : {}),
    ...(penalty.penalty !== 1 || penalty.frequencyPenalty !== 0 || penalty.presencePenalty !== 0 ? { repetitionPenalty: penalty } : {}),
  };
}
