/**
 * Request validation exactly as strict as SGLang's `/generate` (docs/architecture.md, wire §0, §1.2, §5), so that
 * a request which passes against our scripted or embedded engines also passes against SGLang:
 * - malformed JSON / wrong top-level types → 400 `{"object":"error",...,"type":"Bad Request"}`;
 * - an unknown or wrongly typed key inside `sampling_params` → 500 plain `Internal Server Error`
 *   (upstream splats them into a Python constructor and nothing catches the TypeError);
 * - semantic errors (no input, ranges, rid lists) → 400 `{"error":{"message":...}}`.
 */
import { SAMPLING_PARAM_KEYS, type GenerateRequest, type SamplingParams } from '../../protocol/sglang-types.ts';

export interface ValidationFailure {
  ok: false;
  status: 400 | 500;
  body: string | object;
  contentType: string;
}
export type ValidationResult = { ok: true; request: GenerateRequest } | ValidationFailure;

const JSON_TYPE = 'application/json';

export function internalServerError(): ValidationFailure {
  return { ok: false, status: 500, body: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' };
}

/** The native `ValueError` envelope. */
export function valueError(message: string): ValidationFailure {
  return { ok: false, status: 400, body: { error: { message } }, contentType: JSON_TYPE };
}

/** FastAPI's request-validation error, remapped by SGLang from 422 to 400 in the OpenAI envelope. */
export function pydanticError(field: string, expected: string, kind: string, value: unknown): ValidationFailure {
  const message =
    `1 validation error for GenerateReqInput\n${field}\n  Input should be ${expected} ` +
    `[type=${kind}, input_value=${pyRepr(value)}, input_type=${pyTypeName(value)}]`;
  return { ok: false, status: 400, body: { object: 'error', message, type: 'Bad Request', param: null, code: 400 }, contentType: JSON_TYPE };
}

/** Python's `repr(float)`: 0 → "0.0", 1e-7 → "1e-07" (SGLang's messages interpolate floats). */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return String(value).replace(/e([+-])(\d)$/, 'e$10$2');
}

function pyRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return JSON.stringify(value) ?? String(value);
}

function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return { string: 'str', boolean: 'bool', object: 'dict' }[typeof value as 'string'] ?? typeof value;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (v: unknown, item: (x: unknown) => boolean): boolean => Array.isArray(v) && v.every(item);
const oneOrList = (item: (x: unknown) => boolean) => (v: unknown) => item(v) || listOf(v, item);

/** Top-level fields pydantic type-checks: [field, check, expected phrase, pydantic error type]. */
const TOP_LEVEL: Array<[string, (v: unknown) => boolean, string, string]> = [
  ['text', oneOrList(isStr), 'a valid string', 'string_type'],
  ['input_ids', (v) => listOf(v, isInt) || listOf(v, (x) => listOf(x, isInt)), 'a valid list of integers', 'list_type'],
  ['input_embeds', (v) => Array.isArray(v), 'a valid list', 'list_type'],
  ['sampling_params', oneOrList(isObj), 'a valid dictionary', 'dict_type'],
  ['rid', oneOrList(isStr), 'a valid string', 'string_type'],
  ['stream', isBool, 'a valid boolean', 'bool_type'],
  ['return_logprob', oneOrList(isBool), 'a valid boolean', 'bool_type'],
  ['logprob_start_len', oneOrList(isInt), 'a valid integer', 'int_type'],
  ['top_logprobs_num', oneOrList(isInt), 'a valid integer', 'int_type'],
  ['token_ids_logprob', (v) => listOf(v, isInt) || listOf(v, (x) => listOf(x, isInt)), 'a valid list of integers', 'list_type'],
  ['return_text_in_logprobs', isBool, 'a valid boolean', 'bool_type'],
  ['return_prompt_token_ids', isBool, 'a valid boolean', 'bool_type'],
  ['return_hidden_states', oneOrList(isBool), 'a valid boolean', 'bool_type'],
  ['session_params', isObj, 'a valid dictionary', 'dict_type'],
  ['priority', isInt, 'a valid integer', 'int_type'],
];

/** Per sampling key: the JSON values SGLang's Python code can digest without a TypeError. */
const nullable = (check: (v: unknown) => boolean) => (v: unknown) => v === null || check(v);
const SAMPLING_TYPES: Record<(typeof SAMPLING_PARAM_KEYS)[number], (v: unknown) => boolean> = {
  max_new_tokens: nullable(isInt),
  min_new_tokens: isInt,
  temperature: isNum,
  top_p: isNum,
  top_k: isInt,
  min_p: isNum,
  frequency_penalty: isNum,
  presence_penalty: isNum,
  repetition_penalty: isNum,
  stop: nullable(oneOrList(isStr)),
  stop_token_ids: nullable((v) => listOf(v, isInt)),
  stop_regex: nullable(oneOrList(isStr)),
  ignore_eos: isBool,
  skip_special_tokens: isBool,
  spaces_between_special_tokens: isBool,
  no_stop_trim: isBool,
  n: isInt,
  json_schema: nullable(isStr),
  regex: nullable(isStr),
  ebnf: nullable(isStr),
  structural_tag: nullable(isStr),
  logit_bias: nullable((v) => isObj(v) && Object.values(v).every(isNum)),
  custom_params: nullable(isObj),
  stream_interval: nullable(isInt),
  sampling_seed: nullable(isInt),
};

/** SamplingParams.verify(): the first range violation, in upstream's order and wording. */
export function checkSamplingRanges(p: SamplingParams): string | undefined {
  const t = p.temperature ?? 1;
  if (t < 0) return `temperature must be non-negative, got ${pyFloat(t)}.`;
  const topP = p.top_p ?? 1;
  if (!(topP > 0 && topP <= 1)) return `top_p must be in (0, 1], got ${pyFloat(topP)}.`;
  const minP = p.min_p ?? 0;
  if (!(minP >= 0 && minP <= 1)) return `min_p must be in [0, 1], got ${pyFloat(minP)}.`;
  const topK = p.top_k ?? -1;
  if (topK !== -1 && topK < 1) return `top_k must be -1 (disable) or at least 1, got ${topK}.`;
  for (const key of ['frequency_penalty', 'presence_penalty'] as const) {
    const v = p[key] ?? 0;
    if (!(v >= -2 && v <= 2)) return `${key} must be in [-2, 2], got ${pyFloat(v)}.`;
  }
  const rep = p.repetition_penalty ?? 1;
  if (!(rep > 0 && rep <= 2)) return `repetition_penalty must be in (0, 2], got ${pyFloat(rep)}.`;
  const minNew = p.min_new_tokens ?? 0;
  if (minNew < 0) return `min_new_tokens must be in [0, max_new_tokens], got ${minNew}.`;
  const maxNew = p.max_new_tokens === undefined ? 128 : p.max_new_tokens;
  if (maxNew !== null) {
    if (maxNew < 0) return `max_new_tokens must be at least 0, got ${maxNew}.`;
    if (minNew > maxNew) return `min_new_tokens must be in [0, max_new_tokens(${maxNew})], got ${minNew}.`;
  }
  if ([p.json_schema, p.regex, p.ebnf].filter((g) => g !== undefined && g !== null).length > 1)
    return 'Only one of regex, json_schema, or ebnf can be set.';
  if ((p.n ?? 1) < 1) return `n must be at least 1, got ${p.n}.`;
  return undefined;
}

function parseBody(body: unknown): { value: unknown } | ValidationFailure {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return { value: body };
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const message = `1 validation error for GenerateReqInput\nbody\n  JSON decode error [type=json_invalid, input_value='${text.slice(0, 40)}', input_type=str]: ${(error as Error).message}`;
    return { ok: false, status: 400, body: { object: 'error', message, type: 'Bad Request', param: null, code: 400 }, contentType: JSON_TYPE };
  }
}

/** Number of prompts in the request (before `n` expansion), and whether it is a batch. */
export function batchShape(request: GenerateRequest): { size: number; isBatch: boolean } {
  if (request.text !== undefined) return Array.isArray(request.text) ? { size: request.text.length, isBatch: true } : { size: 1, isBatch: false };
  const ids = request.input_ids ?? request.input_embeds ?? [];
  const nested = Array.isArray(ids[0]);
  return nested ? { size: ids.length, isBatch: true } : { size: 1, isBatch: false };
}

/**
 * Validate a `/generate` body: a raw JSON string/bytes or an already parsed value.
 * Returns the request as sent (defaults are applied later, by `expandGenerateRequest`).
 */
export function validateGenerateRequest(body: unknown): ValidationResult {
  const parsed = parseBody(body);
  if ('ok' in parsed) return parsed;
  const value = parsed.value;
  if (!isObj(value)) return pydanticError('body', 'a valid dictionary or object to extract fields from', 'model_attributes_type', value);
  for (const [field, check, expected, kind] of TOP_LEVEL) {
    const v = value[field];
    if (v !== undefined && v !== null && !check(v)) return pydanticError(field, expected, kind, v);
  }
  const request = value as GenerateRequest;
  const paramsList = request.sampling_params === undefined ? [] : [request.sampling_params].flat();
  for (const params of paramsList) {
    for (const [key, v] of Object.entries(params)) {
      const check = SAMPLING_TYPES[key as keyof typeof SAMPLING_TYPES];
      if (!check || (v !== undefined && !check(v))) return internalServerError();
    }
  }
  if (request.text === undefined && request.input_ids === undefined && request.input_embeds === undefined)
    return valueError('Either text, input_ids or input_embeds should be provided.');
  if (request.input_embeds !== undefined) return valueError('input_embeds is not supported by this server (it needs --disable-radix-cache).');
  if (request.return_hidden_states === true)
    return valueError('The server is not configured to return the hidden states. Please set `--enable-return-hidden-states` to enable this feature.');
  if (request.custom_logit_processor !== undefined && request.custom_logit_processor !== null)
    return valueError('The server is not configured to enable custom logit processor. Please set `--enable-custom-logit-processor` to enable this feature.');
  const ids = request.input_ids;
  if (ids !== undefined && request.text === undefined) {
    if (ids.length === 0 || ids.some((row) => Array.isArray(row) && row.length === 0))
      return valueError('input_ids cannot be empty.');
  }
  const { size, isBatch } = batchShape(request);
  if (isBatch && size === 0) return valueError('The batch is empty.');
  if (Array.isArray(request.sampling_params) && request.sampling_params.length !== size)
    return valueError(`The sampling_params list has ${request.sampling_params.length} items but the batch has ${size} prompts.`);
  const ns = new Set(paramsList.map((p) => p.n ?? 1));
  if (ns.size > 1) return valueError('The parallel sample number n must be the same for all the samples in a batch.');
  for (const params of paramsList) {
    const problem = checkSamplingRanges(params);
    if (problem) return valueError(problem);
  }
  const n = paramsList[0]?.n ?? 1;
  if (n > 1) {
    for (const key of ['return_logprob', 'logprob_start_len', 'top_logprobs_num', 'custom_logit_processor'] as const)
      if (Array.isArray(request[key])) return valueError(`When n > 1, ${key} must be a scalar, not a list.`);
  }
  if (Array.isArray(request.rid)) {
    if (!isBatch || request.rid.length !== size) return valueError('The rid should have the same length as the batch size.');
    const seen = new Set<string>();
    for (const rid of request.rid) {
      if (seen.has(rid)) return valueError(`Duplicate request ID detected within the request: ${rid}`);
      seen.add(rid);
    }
  }
  for (const key of ['return_logprob', 'logprob_start_len', 'top_logprobs_num'] as const) {
    const v = request[key];
    if (Array.isArray(v) && v.length !== size) return valueError(`The ${key} list has ${v.length} items but the batch has ${size} prompts.`);
  }
  if (request.session_params !== undefined) {
    const sp = request.session_params as unknown as Record<string, unknown>;
    if (!isStr(sp.id)) return pydanticError('session_params.id', 'a valid string', 'string_type', sp.id);
    if (isBatch || n > 1) return valueError('Session requests cannot be batched or use n > 1.');
    if (request.session_id !== undefined) return valueError('session_id cannot be combined with session_params.');
  }
  return { ok: true, request };
}
