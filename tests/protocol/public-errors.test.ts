// Every error class a user can reach through the public seam ('physarum' and 'physarum/test')
// extends PhysarumError, carries a stable PHYSARUM_* code, and declares a valid sample status.
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.ts';
import * as testing from '../../src/testing.ts';
import { PhysarumError } from '../../src/protocol/errors.ts';
import { statusForError } from '../../src/protocol/failure-status.ts';
import { SampleStatus } from '../../src/protocol/sample.ts';

type ErrorClass = new (...args: any[]) => Error;

/** Constructor arguments for classes whose first argument is not a message. */
const ARGS: Record<string, unknown[]> = {
  SandboxError: ['oom', 'out of memory'],
  SandboxFileError: ['not_found', '/x', 'no such file'],
  EngineHttpError: ['/generate', 500, '{"error":{"message":"boom"}}'],
  EngineTimeoutError: ['/generate', 10],
  EngineAbortError: [[{ url: 'http://w', message: 'refused' }]],
  ToolTimeoutError: ['bash', 10],
  TrainerError: ['PHYSARUM_TRAINER_RANK_FAILED', 'rank 1 failed', 1, 'train_step'],
};

/** Every exported class that is an Error, walking namespaces (e.g. `tools`) too. */
function errorClasses(modules: Record<string, unknown>[]): Map<string, ErrorClass> {
  const found = new Map<string, ErrorClass>();
  const walk = (record: Record<string, unknown>) => {
    for (const [name, value] of Object.entries(record)) {
      if (typeof value === 'function' && value.prototype instanceof Error) found.set(name, value as ErrorClass);
      else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === null) walk(value as Record<string, unknown>);
    }
  };
  for (const module of modules) walk(module);
  return found;
}

const classes = errorClasses([api, testing]);

describe('public error classes', () => {
  it('finds the error classes of every layer', () => {
    for (const name of ['PhysarumError', 'SandboxError', 'EngineHttpError', 'EngineAbortError', 'BadGenerateRequest', 'VerifierError', 'WireError', 'TokenizerError'])
      expect(classes.has(name), name).toBe(true);
  });

  it.each([...classes.keys()])('%s extends PhysarumError, has a PHYSARUM_* code and a sample status', (name) => {
    const Class = classes.get(name)!;
    expect(Class === PhysarumError || Class.prototype instanceof PhysarumError).toBe(true);
    const error = name === 'PhysarumError' ? new PhysarumError('PHYSARUM_ENV', 'x') : new Class(...(ARGS[name] ?? ['something failed']));
    expect(PhysarumError.isInstance(error)).toBe(true);
    expect((error as PhysarumError).code).toMatch(/^PHYSARUM_[A-Z_]+$/);
    expect(SampleStatus.safeParse((Class as unknown as { sampleStatus: unknown }).sampleStatus).success).toBe(true);
    expect(SampleStatus.options).toContain(statusForError(error));
  });
});

describe('statusForError', () => {
  it('reads the status each class declares', () => {
    expect(statusForError(new api.SandboxError('oom', 'x'))).toBe('sandbox_error');
    expect(statusForError(new api.EngineTimeoutError('/generate', 5))).toBe('model_error');
    expect(statusForError(new api.ToolTimeoutError('bash', 5))).toBe('tool_timeout');
    expect(statusForError(new api.VerifierError('r', 'x'))).toBe('verifier_error');
    expect(statusForError(new api.AbortedError())).toBe('aborted');
    expect(statusForError(new api.InvalidInputError('x'))).toBe('env_error');
    expect(statusForError(new Error('plain'))).toBe('env_error');
  });

  it('says aborted when the episode signal fired, whatever the error', () => {
    const controller = new AbortController();
    controller.abort();
    expect(statusForError(new api.SandboxError('oom', 'x'), controller.signal)).toBe('aborted');
  });

  it('works across two copies of the package (marker and the class it came from, not instanceof)', () => {
    // A second copy: its own base class with the same marker, and a subclass declaring a status.
    const marker = Symbol.for('physarum.error');
    class OtherBase extends Error {
      readonly [marker] = true;
      static readonly sampleStatus: string = 'env_error';
      constructor(readonly code: string, message: string) {
        super(message);
      }
    }
    class OtherSandboxError extends OtherBase {
      static override readonly sampleStatus = 'sandbox_error';
      readonly reason = 'oom';
    }
    const foreign = new OtherSandboxError('PHYSARUM_SANDBOX_OOM', 'x');
    expect(foreign instanceof api.SandboxError).toBe(false);
    expect(statusForError(foreign)).toBe('sandbox_error');
    expect(api.SandboxError.is(foreign)).toBe(true);
    expect(api.SandboxError.is(foreign, 'oom')).toBe(true);
    expect(api.SandboxError.is(foreign, 'exec_timeout')).toBe(false);
    expect(api.SandboxError.is(new api.SandboxFileError('not_found', '/x', 'gone'))).toBe(false);
  });
});
