/**
 * Failures of the Data Buffer and of the trainer-batch wire. Both carry stable codes
 * (`PHYSARUM_BUFFER`, `PHYSARUM_WIRE`) so callers never parse messages.
 */
import { PhysarumError, type PhysarumErrorOptions } from '../protocol/errors.ts';

/** The buffer's storage or state machine refused an operation (closed, conflicting ids, corrupt row). */
export class BufferError extends PhysarumError {
  constructor(message: string, options?: PhysarumErrorOptions) {
    super('PHYSARUM_BUFFER', message, options);
  }
}

/** A trainer-batch frame is malformed (wrong magic, version, truncated section). */
export class WireError extends PhysarumError {
  constructor(message: string, options?: PhysarumErrorOptions) {
    super('PHYSARUM_WIRE', message, options);
  }
}
