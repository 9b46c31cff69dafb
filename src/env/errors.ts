/**
 * Failures of the env layer. Each maps to one sample status (contract 3): the episode runner
 * catches them and ends the sample with that status and the message as its reason.
 */
import { PhysarumError, type PhysarumErrorOptions } from '../protocol/errors.ts';
import type { SampleStatus } from '../protocol/sample.ts';

/** Env code (reset, step, a tool's bug) threw: status `env_error`. */
export class EnvError extends PhysarumError {
  constructor(message: string, options?: PhysarumErrorOptions) {
    super('PHYSARUM_ENV', message, options);
  }
}

/** A reward function threw or returned a non-finite number: status `verifier_error`, reward null. */
export class VerifierError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'verifier_error';
  readonly rewardName: string;
  constructor(rewardName: string, message: string, options?: PhysarumErrorOptions) {
    super('PHYSARUM_VERIFIER', message, options);
    this.rewardName = rewardName;
  }
}

/** A tool ran past its `timeoutMs`: status `tool_timeout`. */
export class ToolTimeoutError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'tool_timeout';
  readonly toolName: string;
  readonly timeoutMs: number;
  constructor(toolName: string, timeoutMs: number, options?: PhysarumErrorOptions) {
    super('PHYSARUM_TOOL_TIMEOUT', `tool '${toolName}' ran past its timeoutMs (${timeoutMs} ms); raise it in the tool definition`, {
      isRetryable: true,
      ...options,
    });
    this.toolName = toolName;
    this.timeoutMs = timeoutMs;
  }
}

/** A task row does not match the env's task schema; the message names the row and the field. */
export class InvalidTaskError extends PhysarumError {
  readonly row: number | undefined;
  readonly field: string | undefined;
  constructor(message: string, details: { row?: number; field?: string } = {}, options?: PhysarumErrorOptions) {
    super('PHYSARUM_INVALID_TASK', message, options);
    this.row = details.row;
    this.field = details.field;
  }
}
