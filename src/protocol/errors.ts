/**
 * One error base for the whole project; each failure family has a class and a stable `code`.
 * Callers match on `code` (or `PhysarumError.isInstance`), never on message text. Each class also
 * declares, once, the sample status it ends an episode with (`sampleStatus`, read only by
 * `statusForError` in failure-status.ts); a class that declares none is the env's fault, so a
 * failure of a known family is thrown as its class (SandboxError, EngineHttpError, ...), not as a
 * bare PhysarumError with the family's code.
 * The same code strings are used by the Python trainer (trainer/physarum_trainer/errors.py).
 */
import type { SampleStatus } from './sample.ts';

const MARKER = Symbol.for('physarum.error');

/** Every stable error code; tests/vectors/error-codes.json lists the same set for the Python trainer. */
export const ERROR_CODES = [
  'PHYSARUM_INVALID_INPUT',
  'PHYSARUM_INVALID_TASK',
  'PHYSARUM_ENGINE_HTTP',
  'PHYSARUM_ENGINE_UNREACHABLE',
  'PHYSARUM_ENGINE_TIMEOUT',
  'PHYSARUM_WEIGHT_SYNC',
  'PHYSARUM_FLEET',
  'PHYSARUM_ABORTED',
  'PHYSARUM_TEMPLATE',
  'PHYSARUM_TOKENIZER',
  'PHYSARUM_LEDGER',
  'PHYSARUM_SANDBOX',
  'PHYSARUM_SANDBOX_TIMEOUT',
  'PHYSARUM_SANDBOX_OOM',
  'PHYSARUM_SANDBOX_DOCKER_UNAVAILABLE',
  'PHYSARUM_SANDBOX_DISK_LIMIT',
  'PHYSARUM_FILE',
  'PHYSARUM_TOOL_TIMEOUT',
  'PHYSARUM_VERIFIER',
  'PHYSARUM_ENV',
  'PHYSARUM_ROLLOUT',
  'PHYSARUM_BUFFER',
  'PHYSARUM_WIRE',
  'PHYSARUM_TRAINER',
  'PHYSARUM_ENGINE_EMBEDDED',
  'PHYSARUM_TRAINER_NOT_INITIALIZED',
  'PHYSARUM_TRAINER_MODEL_NOT_FOUND',
  'PHYSARUM_TRAINER_MEMORY_BUDGET',
  'PHYSARUM_TRAINER_RANK_FAILED',
  'PHYSARUM_TRAINER_CHECKPOINT',
  'PHYSARUM_TRAINER_BACKEND_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface PhysarumErrorOptions {
  cause?: unknown;
  /** Whether repeating the same call may succeed (retry logic reads this, never the message). */
  isRetryable?: boolean;
}

export class PhysarumError extends Error {
  /** The status a sample ends with when this error ends its episode (contract 3). */
  static readonly sampleStatus: SampleStatus = 'env_error';
  readonly [MARKER] = true;
  readonly code: ErrorCode;
  readonly isRetryable: boolean;

  constructor(code: ErrorCode, message: string, options: PhysarumErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.isRetryable = options.isRetryable ?? false;
  }

  static isInstance(value: unknown): value is PhysarumError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** A user-supplied value (flag, file, row, argument) is wrong; the message names it. */
export class InvalidInputError extends PhysarumError {
  constructor(message: string, options?: PhysarumErrorOptions) {
    super('PHYSARUM_INVALID_INPUT', message, options);
  }
}

/** The caller's AbortSignal fired. Aborts are exceptions, not observations. */
export class AbortedError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'aborted';
  constructor(message = 'aborted', options?: PhysarumErrorOptions) {
    super('PHYSARUM_ABORTED', message, options);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(describeAbortReason(signal.reason), { cause: signal.reason });
}

export function describeAbortReason(reason: unknown): string {
  if (reason instanceof Error) return `aborted: ${reason.message}`;
  if (typeof reason === 'string') return `aborted: ${reason}`;
  return 'aborted';
}

/** Combine optional signals and a timeout into one signal (undefined when there is nothing to watch). */
export function combineSignals(
  signals: Array<AbortSignal | undefined>,
  timeoutMs?: number,
): AbortSignal | undefined {
  const all = signals.filter((s): s is AbortSignal => s !== undefined);
  if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) all.push(AbortSignal.timeout(timeoutMs));
  if (all.length === 0) return undefined;
  if (all.length === 1) return all[0];
  return AbortSignal.any(all);
}
