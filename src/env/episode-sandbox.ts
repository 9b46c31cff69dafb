/**
 * The sandbox side of an episode's end (contract 7): the agent's processes are stopped before any
 * reward code runs (`finalize`), and reward code that must be trusted gets verification rooms —
 * fresh sandboxes with only the agent's changes — released after scoring. The sandbox is the
 * env's own type, so it is reached by shape here (src/env does not import sandboxes/).
 */
import { VerifierError } from './errors.ts';
import type { SandboxLease } from './sandbox-lease.ts';



/** Stops every process the agent left running, when the sandbox can (`finalize()`). */
export async function finalizeSandbox(sandbox: unknown, signal: AbortSignal): Promise<void> {
  const finalize = (sandbox as { finalize?: unknown } | null | undefined)?.finalize;
  if (typeof finalize === 'function') await (finalize as (o: { signal: AbortSignal }) => Promise<void>).call(sandbox, { signal });
}

/** The rooms reward code opened during scoring; all released together afterwards. */
export class VerificationRooms {
  private readonly open: Array<{ release(): Promise<void> }> = [];

  constructor(private readonly lease: SandboxLease | undefined, private readonly signal: AbortSignal) {}

  readonly openRoom = async (): Promise<any> => {
    if (!this.lease?.verificationRoom) {
      throw new VerifierError('verificationRoom', 'this episode has no sandbox pool to open a verification room in (run it with a sandbox opener that provides one)');
    }
    const room = await this.lease.verificationRoom(this.signal);
    this.open.push(room);
    return room.sandbox;
  };

  /** Releases every room; returns how many releases failed (the pool's reaper takes those). */
  async releaseAll(): Promise<number> {
    const results = await Promise.allSettled(this.open.splice(0).map((r) => r.release()));
    return results.filter((r) => r.status === 'rejected').length;
  }
}
