/**
 * The SGLang native wire (docs/architecture.md, wire §1–3), as TypeScript types with the exact
 * snake_case field names. Responses are typed loosely where upstream drifts (every meta_info key
 * but id/finish_reason/prompt_tokens/completion_tokens/cached_tokens is optional).
 */

/** `[logprob, token_id, text]`. orjson writes -inf/NaN as null, and the first input entry is always null. */
export type LogprobTuple = [logprob: number | null, tokenId: number, text: string | null];

/** Every `/generate` sampling knob SGLang accepts; an unknown key is an HTTP 500 upstream. */
export interface SamplingParams {
  max_new_tokens?: number | null;
  min_new_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  repetition_penalty?: number;
  stop?: string | string[] | null;
  stop_token_ids?: number[] | null;
  stop_regex?: string | string[] | null;
  ignore_eos?: boolean;
  skip_special_tokens?: boolean;
  spaces_between_special_tokens?: boolean;
  no_stop_trim?: boolean;
  n?: number;
  json_schema?: string | null;
  regex?: string | null;
  ebnf?: string | null;
  structural_tag?: string | null;
  logit_bias?: Record<string, number> | null;
  custom_params?: Record<string, unknown> | null;
  stream_interval?: number | null;
  sampling_seed?: number | null;
}

/** The keys of `SamplingParams`, in SGLang's order; anything else in `sampling_params` is rejected. */
export const SAMPLING_PARAM_KEYS = [
  'max_new_tokens', 'min_new_tokens', 'temperature', 'top_p', 'top_k', 'min_p', 'frequency_penalty',
  'presence_penalty', 'repetition_penalty', 'stop', 'stop_token_ids', 'stop_regex', 'ignore_eos',
  'skip_special_tokens', 'spaces_between_special_tokens', 'no_stop_trim', 'n', 'json_schema', 'regex', 'ebnf',
  'structural_tag', 'logit_bias', 'custom_params', 'stream_interval', 'sampling_seed',
] as const satisfies ReadonlyArray<keyof SamplingParams>;

/** `session_params` of a `/generate` call (§2): continue from node `rid` of session `id`. */
export interface SessionParams {
  id: string;
  rid?: string | null;
  offset?: number | null;
  replace?: boolean | null;
  drop_previous_output?: boolean | null;
}

export interface GenerateRequest {
  text?: string | string[];
  input_ids?: number[] | number[][];
  input_embeds?: number[][] | number[][][];
  sampling_params?: SamplingParams | SamplingParams[];
  rid?: string | string[];
  stream?: boolean;
  return_logprob?: boolean | boolean[];
  logprob_start_len?: number | number[];
  top_logprobs_num?: number | number[];
  token_ids_logprob?: number[] | number[][];
  return_text_in_logprobs?: boolean;
  return_prompt_token_ids?: boolean;
  return_hidden_states?: boolean;
  session_params?: SessionParams;
  lora_path?: string | Array<string | null>;
  priority?: number;
  extra_key?: string | string[];
  /** Other top-level keys are ignored by SGLang; they pass through untouched. */
  [key: string]: unknown;
}

export type FinishReason =
  | { type: 'stop'; matched: number | string }
  | { type: 'length'; length: number }
  | { type: 'abort'; message: string; status_code?: number | null; err_type?: string | null };

export interface MetaInfo {
  id: string;
  finish_reason: FinishReason | null;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  weight_version?: string;
  num_retractions?: number;
  reasoning_tokens?: number;
  input_token_logprobs?: LogprobTuple[];
  output_token_logprobs?: LogprobTuple[];
  output_token_logprobs_length?: number;
  input_top_logprobs?: Array<LogprobTuple[] | null>;
  output_top_logprobs?: Array<LogprobTuple[] | null>;
  e2e_latency?: number;
  response_sent_to_client_ts?: number;
  [key: string]: unknown;
}

export interface GenerateResponse {
  text: string;
  output_ids: number[];
  meta_info: MetaInfo;
  /** Position in the expanded batch (streams of batches only). */
  index?: number;
  prompt_token_ids?: number[];
}

/**
 * One parsed SSE event of a `/generate` stream. Upstream chunks are cumulative; the client adds
 * the delta fields so callers never diff by hand.
 */
export interface StreamChunk extends GenerateResponse {
  /** Text generated since the previous chunk of the same `index`. */
  delta_text: string;
  /** Token ids generated since the previous chunk of the same `index`. */
  delta_output_ids: number[];
  /** Logprob tuples of `delta_output_ids` (empty without `return_logprob`). */
  delta_output_token_logprobs: LogprobTuple[];
}

/** The error event a stream carries after the 200 header went out. */
export interface StreamErrorEvent {
  error: { message: string; type?: string; code?: number; retryable?: boolean };
}

export interface OpenSessionRequest {
  capacity_of_str_len: number;
  session_id?: string;
  streaming?: boolean;
  timeout?: number;
}

export interface AbortRequestBody {
  rid?: string;
  abort_all?: boolean;
  abort_message?: string;
}

export type PauseMode = 'abort' | 'retract' | 'in_place';

export interface ControlMessage {
  message: string;
  status: string;
}

export interface UpdateWeightsFromDiskRequest {
  model_path: string;
  load_format?: string | null;
  abort_all_requests?: boolean;
  weight_version?: string | null;
  is_async?: boolean;
  torch_empty_cache?: boolean;
  keep_pause?: boolean;
  recapture_cuda_graph?: boolean;
  token_step?: number;
  flush_cache?: boolean;
}

export interface UpdateWeightsResult {
  success: boolean;
  message: string;
  num_paused_requests?: number | number[];
}

export interface InitWeightsUpdateGroupRequest {
  master_address: string;
  master_port: number;
  rank_offset: number;
  world_size: number;
  group_name?: string;
  backend?: string;
}

export interface UpdateWeightsFromDistributedRequest {
  names: string[];
  dtypes: string[];
  shapes: number[][];
  group_name?: string;
  flush_cache?: boolean;
  abort_all_requests?: boolean;
  weight_version?: string | null;
  load_format?: 'flattened_bucket' | null;
  torch_empty_cache?: boolean;
}

export interface ModelInfo {
  model_path: string;
  tokenizer_path?: string | null;
  is_generation: boolean;
  preferred_sampling_params?: unknown;
  weight_version?: string;
  has_image_understanding?: boolean;
  has_audio_understanding?: boolean;
  model_type?: string;
  architectures?: string[] | null;
  [key: string]: unknown;
}

export type ServerInfo = Record<string, unknown> & { status?: string; weight_version?: string };

/** A worker as the router's `GET /workers` reports it (legacy routers report only urls). */
export interface RouterWorker {
  id?: string;
  url: string;
  model_id?: string;
  is_healthy?: boolean;
  load?: number;
  worker_type?: string;
  [key: string]: unknown;
}
