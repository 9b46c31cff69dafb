/**
 * What sglang-router does to a `/generate` body (docs/architecture.md, wire §6): it re-serializes it from a typed
 * struct, so some keys are silently dropped, `max_new_tokens: null` becomes the worker default
 * (128), and list-valued `text`/`rid` are rejected. Checking before sending turns those silent
 * changes into a clear error.
 */
import type { GenerateRequest } from '../../protocol/sglang-types.ts';

const ROUTER_TOP_LEVEL = new Set([
  'text', 'input_ids', 'input_embeds', 'image_data', 'video_data', 'audio_data', 'sampling_params', 'return_logprob',
  'logprob_start_len', 'top_logprobs_num', 'token_ids_logprob', 'return_text_in_logprobs', 'stream', 'log_metrics',
  'return_hidden_states', 'modalities', 'session_params', 'lora_path', 'lora_id', 'custom_logit_processor',
  'bootstrap_host', 'bootstrap_port', 'bootstrap_room', 'bootstrap_pair_key', 'data_parallel_rank', 'background',
  'conversation_id', 'priority', 'extra_key', 'no_logs', 'custom_labels', 'return_bytes', 'return_entropy', 'rid', 'model',
]);

const ROUTER_SAMPLING = new Set([
  'temperature', 'max_new_tokens', 'top_p', 'top_k', 'frequency_penalty', 'presence_penalty', 'repetition_penalty', 'stop',
  'ignore_eos', 'skip_special_tokens', 'json_schema', 'regex', 'ebnf', 'min_p', 'min_new_tokens', 'stop_token_ids',
  'no_stop_trim', 'n', 'sampling_seed',
]);

/** Every way the router would change or refuse this request; empty when it passes through intact. */
export function routerProblems(request: GenerateRequest): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(request)) if (!ROUTER_TOP_LEVEL.has(key)) problems.push(`'${key}' is dropped by the router`);
  if (Array.isArray(request.text)) problems.push("a list 'text' is rejected by the router (send input_ids batches or one request per prompt)");
  if (Array.isArray(request.rid)) problems.push("a list 'rid' is rejected by the router");
  if (Array.isArray(request.lora_path)) problems.push("a list 'lora_path' is rejected by the router");
  for (const params of [request.sampling_params ?? []].flat()) {
    for (const [key, value] of Object.entries(params)) {
      if (!ROUTER_SAMPLING.has(key)) problems.push(`sampling_params.${key} is dropped by the router`);
      else if (key === 'max_new_tokens' && value === null) problems.push('sampling_params.max_new_tokens: null is dropped by the router (the worker then uses 128)');
    }
  }
  return [...new Set(problems)];
}
