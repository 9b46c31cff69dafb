/**
 * How an episode gets its sandbox: a lease, taken when the episode starts and given back after it
 * is scored (rubrics may grade inside the sandbox). Who lends them (a Docker pool, a test double)
 * is the caller's business; the episode runner only leases and releases.
 */

import type { MultiAgentEnv } from './agents.ts';
import { EnvBase, type Env } from './env.ts';

/** Whether an env asks for sandboxes at all: a `sandbox` spec, or its own `sandboxFor(task)`. */
export function usesSandboxes(env: Env<any, any, any> | MultiAgentEnv<any, any, any>): boolean {
  const perTask = typeof env.sandboxFor === 'function' && env.sandboxFor !== EnvBase.prototype.sandboxFor;
  return perTask || (env.sandbox !== undefined && env.sandbox !== null);
}

/** One sandbox lent to one episode. */
export interface SandboxLease<TSandbox = unknown> {
  sandbox: TSandbox;
  /** Gives the sandbox back; called once, after scoring. */
  release(): Promise<void>;
  /**
   * A verification room for this lease's sandbox: a fresh sandbox of the task holding only the
   * agent's changes (see sandboxes/verification-room.ts). Reward code opens it through
   * `ctx.verificationRoom()`; every room is released after scoring.
   */
  verificationRoom?: (signal: AbortSignal) => Promise<{ sandbox: TSandbox; release(): Promise<void> }>;
}

/** Lends one sandbox per episode. A lease that fails ends the episode as `sandbox_error`. */
export interface SandboxLeases<TSandbox = unknown> {
  /** `task` is the episode's validated task (envs may give each task its own sandbox). */
  lease(signal: AbortSignal, task: unknown): Promise<SandboxLease<TSandbox>>;
  /**
   * Leases for the `count` episodes of one group (one task): a provider that prepares a task's
   * sandbox once and forks it returns them here. `close` gives back copies nobody leased.
   */
  forGroup?(count: number): SandboxLeases<TSandbox> & { close(): Promise<void> };
}
