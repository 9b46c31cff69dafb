import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PhysarumError } from '../../src/protocol/errors.ts';

// tests/vectors/error-codes.json is the set the Python trainer checks its codes against
// (trainer/tests/test_errors.py); the TypeScript list must be the same set.
const vector = JSON.parse(readFileSync(new URL('../vectors/error-codes.json', import.meta.url), 'utf8')) as { codes: string[] };

describe('error codes shared with the Python trainer', () => {
  it('ERROR_CODES equals tests/vectors/error-codes.json', () => {
    expect([...ERROR_CODES].sort()).toEqual(vector.codes);
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });

  it('includes the trainer worker codes of the RPC contract', () => {
    for (const code of ['PHYSARUM_TRAINER_NOT_INITIALIZED', 'PHYSARUM_TRAINER_RANK_FAILED', 'PHYSARUM_TRAINER_BACKEND_UNAVAILABLE'] as const) {
      expect(new PhysarumError(code, 'x').code).toBe(code);
    }
  });
});
