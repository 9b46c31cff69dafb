/**
 * The one failure type of the sandbox layer. Callers branch on `reason` (the episode runner maps
 * every SandboxError to sample status `sandbox_error`); the `code` follows the reason so generic
 * PhysarumError handling (retry, CLI one-liners) works without knowing this module.
 */
import { PhysarumError, type ErrorCode } from '../src/protocol/errors.ts';
import type { SampleStatus } from '../src/protocol/sample.ts';

export type SandboxFailureReason =
  | 'create_timeout'
  | 'exec_timeout'
  | 'oom'
  | 'docker_unavailable'
  | 'image_build_failed'
  | 'create_failed'
  | 'sandbox_died'
  | 'fork_failed'
  | 'destroyed'
  | 'protocol'
  | 'disk_limit'
  | 'untrusted';

const CODES: Record<SandboxFailureReason, ErrorCode> = {
  create_timeout: 'PHYSARUM_SANDBOX_TIMEOUT',
  exec_timeout: 'PHYSARUM_SANDBOX_TIMEOUT',
  oom: 'PHYSARUM_SANDBOX_OOM',
  docker_unavailable: 'PHYSARUM_SANDBOX_DOCKER_UNAVAILABLE',
  image_build_failed: 'PHYSARUM_SANDBOX',
  create_failed: 'PHYSARUM_SANDBOX',
  sandbox_died: 'PHYSARUM_SANDBOX',
  fork_failed: 'PHYSARUM_SANDBOX',
  destroyed: 'PHYSARUM_SANDBOX',
  protocol: 'PHYSARUM_SANDBOX',
  disk_limit: 'PHYSARUM_SANDBOX_DISK_LIMIT',
  untrusted: 'PHYSARUM_SANDBOX',
};

const SANDBOX_CODES: ReadonlySet<ErrorCode> = new Set(Object.values(CODES));

/**
 * Failures that, while the agent's phase runs, can only come from what the agent did: its
 * processes ran out of memory or disk, hung the sandbox or killed it. They end the episode as
 * the policy's doing (trainable), not as infrastructure; see `agentCaused`.
 */
export const AGENT_REASONS: ReadonlySet<SandboxFailureReason> = new Set(['oom', 'disk_limit', 'exec_timeout', 'sandbox_died', 'untrusted']);

// A retry takes a fresh sandbox, so most failures are worth one; a broken image or a use after
// destroy is a bug that repeating cannot fix.
const NOT_RETRYABLE = new Set<SandboxFailureReason>(['image_build_failed', 'destroyed']);

export class SandboxError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'sandbox_error';
  readonly reason: SandboxFailureReason;
  /** The container the failure happened in, when there was one. */
  readonly containerId: string | undefined;
  /**
   * True when the agent caused it (its command OOMed, filled the disk, hung or killed the
   * sandbox): the episode stays trainable, scored as the rubric finds the state or 0. False
   * when it is known not to be (the container was removed under us); undefined: infrastructure.
   */
  readonly agentCaused: boolean | undefined;

  constructor(
    reason: SandboxFailureReason,
    message: string,
    options: { cause?: unknown; containerId?: string; agentCaused?: boolean } = {},
  ) {
    super(CODES[reason], `sandbox ${reason}: ${message}`, {
      cause: options.cause,
      isRetryable: !NOT_RETRYABLE.has(reason),
    });
    this.reason = reason;
    this.containerId = options.containerId;
    this.agentCaused = options.agentCaused;
  }

  /** This failure, attributed to the agent when it is of a kind only the agent's processes cause. */
  asAgentCaused(): SandboxError {
    if (this.agentCaused !== undefined || !AGENT_REASONS.has(this.reason)) return this;
    const err = new SandboxError(this.reason, this.message.replace(/^sandbox [a-z_]+: /, ''), { cause: this, containerId: this.containerId, agentCaused: true });
    return err;
  }

  static is(value: unknown, reason?: SandboxFailureReason): value is SandboxError {
    // The marker and the code, not instanceof: a second copy of the package makes its own class.
    if (!PhysarumError.isInstance(value) || !SANDBOX_CODES.has(value.code)) return false;
    return reason === undefined || (value as SandboxError).reason === reason;
  }
}

/** True for errors that mean "the Docker daemon did not answer" (socket gone, refused, reset). */
export function isDockerUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    ['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EACCES'].includes(code)
  );
}

/** Wraps a Docker daemon call failure: unreachable Docker daemons become `docker_unavailable`, the rest `fallback`. */
export function toSandboxError(err: unknown, fallback: SandboxFailureReason, what: string, containerId?: string): PhysarumError {
  if (PhysarumError.isInstance(err)) return err;
  const detail = err instanceof Error ? err.message : String(err);
  if (isDockerUnreachable(err)) {
    return new SandboxError('docker_unavailable', `${what}: Docker daemon did not answer (${detail}); is dockerd running, or DOCKER_HOST right?`, { cause: err, containerId });
  }
  return new SandboxError(fallback, `${what}: ${detail}`, { cause: err, containerId });
}

export type SandboxFileErrorKind =
  | 'not_found'
  | 'is_directory'
  | 'not_a_directory'
  | 'permission_denied'
  | 'read_only'
  | 'no_space'
  | 'exists'
  | 'os_error'
  | 'bad_request'
  | 'busy'
  | 'too_large'
  | 'internal';

/**
 * A file operation failed for a reason the model can act on (missing file, wrong kind, no
 * permission). Not an infrastructure failure, so its code is deliberately outside the
 * PHYSARUM_SANDBOX* family (which ends an episode as `sandbox_error`): a tool that lets it
 * escape shows the model an error, and the tools in tools/ turn it into a message themselves.
 */
export class SandboxFileError extends PhysarumError {
  readonly kind: SandboxFileErrorKind;
  readonly path: string;

  constructor(kind: SandboxFileErrorKind, path: string, message: string) {
    super('PHYSARUM_FILE', message);
    this.kind = kind;
    this.path = path;
  }
}
