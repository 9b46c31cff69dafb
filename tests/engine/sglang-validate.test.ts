import { describe, expect, it } from 'vitest';
import { checkSamplingRanges, pyFloat, validateGenerateRequest } from '../../src/engine/server/sglang-validate.ts';

const ok = { input_ids: [1, 2, 3], sampling_params: { max_new_tokens: 4 } };

describe('validateGenerateRequest', () => {
  it('accepts a well-formed request and ignores unknown top-level keys', () => {
    const result = validateGenerateRequest({ ...ok, some_future_key: 1 });
    expect(result.ok).toBe(true);
  });

  it('parses a raw JSON body and rejects malformed JSON with the 400 OpenAI envelope', () => {
    expect(validateGenerateRequest(JSON.stringify(ok)).ok).toBe(true);
    const bad = validateGenerateRequest('{"input_ids": [1,');
    expect(bad).toMatchObject({ ok: false, status: 400, body: { object: 'error', type: 'Bad Request', param: null, code: 400 } });
  });

  it('answers an unknown sampling_params key with a plain-text 500, like upstream', () => {
    const result = validateGenerateRequest({ input_ids: [1], sampling_params: { max_tokens: 4 } });
    expect(result).toEqual({ ok: false, status: 500, body: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' });
  });

  it('answers a wrongly typed sampling value with 500 (a TypeError upstream)', () => {
    expect(validateGenerateRequest({ input_ids: [1], sampling_params: { temperature: 'hot' } })).toMatchObject({ status: 500 });
    expect(validateGenerateRequest({ input_ids: [1], sampling_params: { temperature: null } })).toMatchObject({ status: 500 });
    expect(validateGenerateRequest({ input_ids: [1], sampling_params: { max_new_tokens: null } }).ok).toBe(true);
  });

  it('names the field of a wrong top-level type in the pydantic envelope', () => {
    const result = validateGenerateRequest({ input_ids: [1], rid: 5 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.status).toBe(400);
    const body = result.body as { message: string; type: string; code: number };
    expect(body.type).toBe('Bad Request');
    expect(body.message).toContain('\nrid\n');
    expect(body.message).toContain('input_type=int');
    expect(validateGenerateRequest({ input_ids: ['a'] })).toMatchObject({ status: 400, body: { object: 'error' } });
  });

  it('requires an input', () => {
    expect(validateGenerateRequest({ sampling_params: {} })).toEqual({
      ok: false,
      status: 400,
      body: { error: { message: 'Either text, input_ids or input_embeds should be provided.' } },
      contentType: 'application/json',
    });
    expect(validateGenerateRequest({ input_ids: [] })).toMatchObject({ status: 400, body: { error: { message: 'input_ids cannot be empty.' } } });
  });

  it('reports range errors with upstream wording and Python float formatting', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ top_p: 0 }, 'top_p must be in (0, 1], got 0.0.'],
      [{ top_p: 1.5 }, 'top_p must be in (0, 1], got 1.5.'],
      [{ temperature: -1 }, 'temperature must be non-negative, got -1.0.'],
      [{ top_k: 0 }, 'top_k must be -1 (disable) or at least 1, got 0.'],
      [{ min_p: 2 }, 'min_p must be in [0, 1], got 2.0.'],
      [{ frequency_penalty: 3 }, 'frequency_penalty must be in [-2, 2], got 3.0.'],
      [{ repetition_penalty: 0 }, 'repetition_penalty must be in (0, 2], got 0.0.'],
      [{ max_new_tokens: -1 }, 'max_new_tokens must be at least 0, got -1.'],
      [{ max_new_tokens: 2, min_new_tokens: 3 }, 'min_new_tokens must be in [0, max_new_tokens(2)], got 3.'],
      [{ regex: 'a', ebnf: 'b' }, 'Only one of regex, json_schema, or ebnf can be set.'],
    ];
    for (const [params, message] of cases) {
      expect(validateGenerateRequest({ input_ids: [1], sampling_params: params })).toMatchObject({ status: 400, body: { error: { message } } });
    }
    expect(checkSamplingRanges({ top_p: 1, top_k: -1, temperature: 0 })).toBeUndefined();
  });

  it('checks batch rid lists: length and duplicates', () => {
    expect(validateGenerateRequest({ input_ids: [[1], [2]], rid: ['a'] })).toMatchObject({ status: 400 });
    expect(validateGenerateRequest({ input_ids: [[1], [2]], rid: ['a', 'a'] })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('Duplicate') } },
    });
    expect(validateGenerateRequest({ input_ids: [[1], [2]], rid: ['a', 'b'] }).ok).toBe(true);
  });

  it('requires scalar logprob options with n > 1', () => {
    const result = validateGenerateRequest({ input_ids: [[1], [2]], sampling_params: { n: 2 }, return_logprob: [true, true] });
    expect(result).toMatchObject({ status: 400, body: { error: { message: 'When n > 1, return_logprob must be a scalar, not a list.' } } });
  });

  it('formats floats like Python repr', () => {
    expect(pyFloat(0)).toBe('0.0');
    expect(pyFloat(-2)).toBe('-2.0');
    expect(pyFloat(0.25)).toBe('0.25');
    expect(pyFloat(1e-7)).toBe('1e-07');
    expect(pyFloat(Number.NEGATIVE_INFINITY)).toBe('-inf');
  });
});
