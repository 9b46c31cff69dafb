/**
 * Group fork: copy a prepared sandbox's file state into N other sandboxes of the same key.
 * Instead of `docker commit` + N cold starts (~5× one cold start here), the prepared sandbox's
 * changes (Docker's diff of its writable layer, or its writable mounts under a read-only root)
 * are packed once by its helper and unpacked by the helpers of N warm sandboxes.
 */
import { SandboxError, toSandboxError } from './errors.ts';
import type { HelperEvent } from './helper-client.ts';
import type { Sandbox } from './sandbox.ts';

export interface Snapshot {
  tar: Buffer;
  /** Paths removed in the prepared sandbox, removed in each copy. */
  deletes: string[];
  /** Directories emptied in each copy before unpacking (whole-mount snapshots). */
  clear: string[];
}

// Paths Docker reports that are the engine's, not the sandbox's.
const ENGINE_PATHS = /^\/(proc|sys|dev)(\/|$)|^\/etc\/(hostname|hosts|resolv\.conf|mtab)$|^\/\.dockerenv$|^\/usr\/sbin\/docker-init$/;
const DEADLINE_MS = 120_000;

export async function takeSnapshot(prepared: Sandbox, signal?: AbortSignal): Promise<Snapshot> {
  let paths: string[];
  let deletes: string[] = [];
  let clear: string[] = [];
  let recursive = false;
  if (prepared.spec.readOnlyRoot) {
    // Only the workdir volume and /tmp are writable: copy them whole.
    paths = [prepared.spec.workdir, '/tmp'];
    clear = paths;
    recursive = true;
  } else {
    let changes: Array<{ Path: string; Kind: number }> | null;
    try {
      changes = (await prepared.container.changes()) as Array<{ Path: string; Kind: number }> | null;
    } catch (err) {
      throw toSandboxError(err, 'fork_failed', 'read the prepared sandbox diff', prepared.id);
    }
    const relevant = (changes ?? []).filter((c) => !ENGINE_PATHS.test(c.Path));
    // Kind: 0 modified, 1 added, 2 deleted. Modified directories exist in every copy already.
    paths = relevant.filter((c) => c.Kind !== 2).map((c) => c.Path);
    const deleted = relevant.filter((c) => c.Kind === 2).map((c) => c.Path);
    deletes = deleted.filter((p) => !deleted.some((q) => p !== q && p.startsWith(`${q}/`)));
  }
  const chunks: Buffer[] = [];
  const onEvent = (ev: HelperEvent): void => {
    if (ev.ev === 'chunk' && ev.data) chunks.push(Buffer.from(ev.data, 'base64'));
  };
  const r = await prepared.request<{ skipped: string[] }>('tar', { paths, recursive }, signal, DEADLINE_MS, onEvent);
  if (r.skipped.length > 0) {
    throw new SandboxError('fork_failed', `cannot copy prepared state: ${r.skipped.slice(0, 5).join('; ')}`, { containerId: prepared.id });
  }
  return { tar: Buffer.concat(chunks), deletes, clear };
}

export async function restoreSnapshot(target: Sandbox, snapshot: Snapshot, signal?: AbortSignal): Promise<void> {
  const upload = target.helper.nextRequestId();
  const b64 = snapshot.tar.toString('base64');
  const step = 1 << 20;
  for (let i = 0; i < b64.length; i += step) {
    await target.helper.send({ op: 'upload', upload, data: b64.slice(i, i + step) });
  }
  await target.request('restore', { upload, deletes: snapshot.deletes, clear: snapshot.clear }, signal, DEADLINE_MS);
}
