/**
 * Group fork: copy a prepared sandbox's state into N other sandboxes of the same key.
 * Instead of `docker commit` + N cold starts (~5× one cold start here) or Docker's layer diff
 * (~0.75 s per call here), the prepared sandbox's helper lists its state roots (workdir, home,
 * /tmp, /var/tmp, plus the spec's `statePaths`) and packs what changed since it started (ctime);
 * the helpers of N warm sandboxes delete what the prepared one lacks and unpack the rest.
 */
import { SandboxError } from './errors.ts';
import type { HelperEvent } from './helper-client.ts';
import { RestoreResultSchema, SnapshotResultSchema } from './helper-messages.ts';
import type { Sandbox } from './sandbox.ts';

export interface Snapshot {
  tar: Buffer;
  roots: string[];
  /** Every path under the roots in the prepared sandbox; copies remove the others. */
  manifest: string[];
  /** Only these paths were taken (a verification room); the copy removes those the source lacks. */
  only?: string[];
}

const DEADLINE_MS = 120_000;

/** `only`: just these paths (relative to the workdir or absolute) instead of every state root. */
export async function takeSnapshot(prepared: Sandbox, signal?: AbortSignal, only?: string[]): Promise<Snapshot> {
  const chunks: Buffer[] = [];
  const onEvent = (ev: HelperEvent): void => {
    // The event was validated (data is a string); bytes that are not base64 decode to garbage, not a throw.
    if (ev.ev === 'chunk') chunks.push(Buffer.from(ev.data, 'base64'));
  };
  const r = await prepared.request<{ roots: string[]; manifest: string[]; skipped: string[] }>(
    'snapshot', { extra: prepared.spec.statePaths, only }, signal, DEADLINE_MS, onEvent, SnapshotResultSchema,
  );
  if (r.skipped.length > 0) {
    throw new SandboxError('fork_failed', `cannot copy prepared state: ${r.skipped.slice(0, 5).join('; ')}`, { containerId: prepared.id });
  }
  return { tar: Buffer.concat(chunks), roots: r.roots, manifest: r.manifest, ...(only ? { only } : {}) };
}

export async function restoreSnapshot(target: Sandbox, snapshot: Snapshot, signal?: AbortSignal): Promise<void> {
  const upload = target.helper.nextRequestId();
  await target.helper.upload(upload, snapshot.tar);
  await target.request('restore', { upload, roots: snapshot.roots, manifest: snapshot.manifest, only: snapshot.only }, signal, DEADLINE_MS, undefined, RestoreResultSchema);
}
