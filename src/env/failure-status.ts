/**
 * One table from failures to sample statuses (contract 3). Whatever ends an episode early becomes
 * a status and a reason on its samples — never a crash of the run, never a reward of 0.
 */
import { PhysarumError } from '../protocol/errors.ts';
import type { SampleStatus } from '../protocol/sample.ts';

const BY_CODE: ReadonlyArray<[prefix: string, status: SampleStatus]> = [
  ['PHYSARUM_ABORTED', 'aborted'],
  ['PHYSARUM_ENGINE', 'model_error'],
  ['PHYSARUM_SANDBOX', 'sandbox_error'],
  ['PHYSARUM_TOOL_TIMEOUT', 'tool_timeout'],
  ['PHYSARUM_VERIFIER', 'verifier_error'],
];

/**
 * The status an error ends a sample with; anything unrecognised is the env's fault (`env_error`).
 * A failure the agent caused itself (`agentCaused`: its command OOMed, filled the disk, hung or
 * killed the sandbox) is the policy's doing: `truncated`, trainable, never excluded as infrastructure.
 */
export function statusForError(error: unknown, signal?: AbortSignal): SampleStatus {
  if (signal?.aborted) return 'aborted';
  if (PhysarumError.isInstance(error) && (error as { agentCaused?: unknown }).agentCaused === true) return 'truncated';
  if (PhysarumError.isInstance(error)) {
    for (const [prefix, status] of BY_CODE) if (error.code.startsWith(prefix)) return status;
  }
  return 'env_error';
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return PhysarumError.isInstance(error) ? `${error.code}: ${error.message}` : `${error.name}: ${error.message}`;
  return String(error);
}
