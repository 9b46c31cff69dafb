/**
 * The Docker daemon connection and the labels every physarum container carries. dockerode reads
 * DOCKER_HOST (unix, tcp, ssh) itself, so a remote Docker daemon needs no code here.
 */
import Docker from 'dockerode';
import { hostname } from 'node:os';
import { throwIfAborted } from '../src/protocol/errors.ts';
import { toSandboxError } from './errors.ts';

export const LABELS = {
  /** Present on every container this layer creates; the reaper only ever looks at these. */
  sandbox: 'physarum.sandbox',
  run: 'physarum.run',
  /** Epoch milliseconds after which the container is a leak whoever owns it. */
  expires: 'physarum.expires',
  ownerPid: 'physarum.owner-pid',
  ownerHost: 'physarum.owner-host',
  /** The pool key (image + setup + limits) the container was made for. */
  key: 'physarum.key',
  /** 'sandbox' for pooled sandboxes, 'setup' for the one-off containers that build setup images. */
  role: 'physarum.role',
  /** The owner's process start time: tells a live owner from a recycled pid. */
  ownerStart: 'physarum.owner-start',
} as const;

export const OWNER_HOST = hostname();

export function connectDocker(docker?: Docker): Docker {
  return docker ?? new Docker();
}

export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Fails with `docker_unavailable` (naming DOCKER_HOST) when the Docker daemon does not answer. */
export async function pingEngine(docker: Docker, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
  try {
    throwIfAborted(signal);
    await docker.ping();
  } catch (err) {
    const e = toSandboxError(err, 'docker_unavailable', `ping ${process.env.DOCKER_HOST ?? 'the local Docker daemon'}`);
    throw e;
  }
}

/** Whether an image (tag or id) exists on the Docker daemon. */
export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if (statusCodeOf(err) === 404) return false;
    throw toSandboxError(err, 'image_build_failed', `inspect image ${ref}`);
  }
}
