/**
 * The one table from failures to sample statuses (contract 3). Whatever ends an episode early
 * becomes a status and a reason on its samples — never a crash of the run, never a reward of 0.
 * Each error class declares its status once (`static sampleStatus` on the class, `env_error`
 * unless it says otherwise); this is the only place that reads it.
 */
import { PhysarumError } from './errors.ts';
import { SampleStatus } from './sample.ts';

/** The status an error ends a sample with; anything that is not a PhysarumError is the env's fault. */
export function statusForError(error: unknown, signal?: AbortSignal): SampleStatus {
  if (signal?.aborted) return 'aborted';
  if (!PhysarumError.isInstance(error)) return 'env_error';
  // A failure the agent caused itself (its command OOMed, filled the disk, hung or killed the
  // sandbox) is the policy's doing: trainable, never excluded as infrastructure (contract 3).
  if (isAgentCaused(error)) return 'truncated';
  // Read through the instance's own class, so an error made by a second copy of the package
  // (whose classes are not ours) still reports the status its class declares.
  const declared = SampleStatus.safeParse((error.constructor as { sampleStatus?: unknown }).sampleStatus);
  return declared.success ? declared.data : 'env_error';
}

/** A failure the agent itself caused (its command OOMed, filled the disk, hung or killed the sandbox). */
export function isAgentCaused(error: unknown): boolean {
  return PhysarumError.isInstance(error) && (error as { agentCaused?: unknown }).agentCaused === true;
}

/** One line for a sample's `statusReason`: the code (when there is one) and the message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return PhysarumError.isInstance(error) ? `${error.code}: ${error.message}` : `${error.name}: ${error.message}`;
  return String(error);
}
