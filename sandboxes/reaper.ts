/**
 * Leak-proof cleanup. Every container this layer makes is labelled with its owner (host, pid and
 * the pid's start time) and an expiry. The reaper removes those whose owner process is gone or
 * whose expiry passed; a pool reaps when it starts and then periodically. Sandboxes also remove
 * themselves: the helper exits on stdin EOF (owner died) and containers are created auto-remove.
 */
import type Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { LABELS, OWNER_HOST, statusCodeOf } from './docker-daemon.ts';
import { toSandboxError } from './errors.ts';

/**
 * Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined if not running.
 * A zombie (state Z: killed, not yet collected by its parent) is not running: its /proc entry
 * outlives it until the parent waits on it, and its sandboxes must not outlive it too.
 */
export function ownerStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

export function ownerAlive(labels: Record<string, string>): boolean {
  if (labels[LABELS.ownerHost] !== OWNER_HOST) return true; // another machine's: only expiry applies
  const pid = Number(labels[LABELS.ownerPid]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const started = ownerStartTime(pid);
  if (started === undefined) return false;
  const recorded = labels[LABELS.ownerStart];
  return !recorded || recorded === started;
}

export interface ReapOptions {
  /** Containers of this run are left alone unless expired (the caller's own). */
  ownRunId?: string;
  /** Reap every physarum container of this run id, live owner or not. */
  runId?: string;
  now?: number;
  signal?: AbortSignal;
}

/** Removes leaked physarum containers; returns their ids. */
export async function reapSandboxes(docker: Docker, options: ReapOptions = {}): Promise<string[]> {
  const now = options.now ?? Date.now();
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({ all: true, filters: { label: [LABELS.sandbox] } });
  } catch (err) {
    throw toSandboxError(err, 'docker_unavailable', 'list sandboxes to reap');
  }
  const doomed = list.filter((c) => {
    const labels = c.Labels ?? {};
    const expired = Number(labels[LABELS.expires] ?? 0) < now;
    if (options.runId !== undefined) return labels[LABELS.run] === options.runId;
    if (expired) return true;
    if (options.ownRunId !== undefined && labels[LABELS.run] === options.ownRunId) return false;
    return !ownerAlive(labels);
  });
  const removed: string[] = [];
  await Promise.all(
    doomed.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
        removed.push(c.Id);
      } catch (err) {
        // 404: it removed itself meanwhile; 409: removal already in progress.
        const status = statusCodeOf(err);
        if (status === 404 || status === 409) removed.push(c.Id);
      }
    }),
  );
  return removed;
}
