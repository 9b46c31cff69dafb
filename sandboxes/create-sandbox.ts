/**
 * Cold path: create a hardened container whose main process is the helper, attach to it before
 * start (so the `ready` line is never missed), start, wait for ready. Hardening is not optional:
 * cap-drop ALL, no-new-privileges, agent commands as a non-root user the helper is not, pids/memory/CPU
 * limits, no network unless asked.
 * StdinOnce + AutoRemove: when the owner dies its stdin closes, the helper exits and Docker
 * deletes the container, with the labelled reaper as the second line of defence.
 */
import type Docker from 'dockerode';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import type { LimitFunction } from 'p-limit';
import { AbortedError, describeAbortReason } from '../src/protocol/errors.ts';
import { LABELS, OWNER_HOST, statusCodeOf } from './docker-daemon.ts';
import { isDockerUnreachable, SandboxError, toSandboxError } from './errors.ts';
import { HELPER_SOURCE, HelperConnection } from './helper-client.ts';
import { ownerStartTime } from './reaper.ts';
import { Sandbox } from './sandbox.ts';
import type { ResolvedSandboxSpec } from './spec.ts';

export interface CreateSandboxOptions {
  image: string;
  spec: ResolvedSandboxSpec;
  key: string;
  runId: string;
  ttlMs: number;
  execLimit: LimitFunction;
  createTimeoutMs: number;
  helperGraceMs?: number;
  /** Cap on one message from the helper; a sandbox that sends more fails (`protocol`). */
  maxMessageChars?: number;
  signal?: AbortSignal;
  onDestroy?: (sandbox: Sandbox) => void;
}

export function containerConfig(o: CreateSandboxOptions): Docker.ContainerCreateOptions {
  const { spec } = o;
  const memory = spec.limits.memoryMb * 2 ** 20;
  return {
    Image: o.image,
    Cmd: ['python3', '-u', '-c', HELPER_SOURCE],
    // The helper runs as root with three capabilities; the agent's commands run as `spec.user`
    // (see helper/common.py): the agent can neither signal, ptrace nor impersonate the helper.
    User: '0:0',
    WorkingDir: spec.workdir,
    Env: [...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`), `PHYSARUM_WORKDIR=${spec.workdir}`, `PHYSARUM_AGENT_USER=${spec.user}`,
      `PHYSARUM_DISK_LIMIT=${spec.limits.diskMb * 2 ** 20}`, `PHYSARUM_STATE_PATHS=${JSON.stringify(spec.statePaths)}`,
      ...(spec.network
        ? ['PHYSARUM_EGRESS=guarded', `PHYSARUM_EGRESS_BLOCK=${JSON.stringify(hostAddresses())}`, `PHYSARUM_EGRESS_ALLOW=${JSON.stringify(spec.egressAllow)}`]
        : [])],
    Labels: {
      [LABELS.sandbox]: '1',
      [LABELS.role]: 'sandbox',
      [LABELS.run]: o.runId,
      [LABELS.key]: o.key,
      [LABELS.ownerHost]: OWNER_HOST,
      [LABELS.ownerPid]: String(process.pid),
      [LABELS.ownerStart]: ownerStartTime(process.pid) ?? '',
      [LABELS.expires]: String(Date.now() + o.ttlMs),
    },
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: !spec.network,
    HostConfig: {
      AutoRemove: true,
      Init: true, // docker-init as pid 1 reaps the orphans of background jobs
      NetworkMode: spec.network ? 'bridge' : 'none',
      CapDrop: ['ALL'],
      // setuid/setgid to drop into the agent user, kill to end its processes; nothing else.
      // (and with network, net_admin for the helper's egress routes: helper/network.py)
      CapAdd: ['SETUID', 'SETGID', 'KILL', ...(spec.network ? ['NET_ADMIN'] : [])],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: spec.limits.pids,
      Memory: memory,
      MemorySwap: memory, // equal: no swap on top, so the limit is hard
      NanoCpus: Math.round(spec.limits.cpus * 1e9),
      ReadonlyRootfs: spec.readOnlyRoot,
      ...(spec.readOnlyRoot
        ? {
            Tmpfs: { '/tmp': 'rw,nosuid,nodev,mode=1777,size=268435456' },
            // An anonymous volume gets the image's workdir contents copied in (a tmpfs would hide them).
            Mounts: [{ Type: 'volume', Source: '', Target: spec.workdir }],
          }
        : {}),
    },
  };
}

/** This machine's own IPv4 addresses: with a local engine, the host services a sandbox must not reach. */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flat().filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
}

export async function createSandbox(docker: Docker, o: CreateSandboxOptions): Promise<Sandbox> {
  let container: Docker.Container | undefined;
  let helper: HelperConnection | undefined;
  const work = (async () => {
    container = await docker.createContainer(containerConfig(o));
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    helper = new HelperConnection(stream, docker.modem, container.id, o.maxMessageChars);
    const doomed = container;
    // A helper that broke the protocol is not trusted to exit on EOF: remove its container.
    helper.onViolation = () => void doomed.remove({ force: true, v: true }).catch(() => undefined);
    const ready = helper.waitReady(o.createTimeoutMs);
    ready.catch(() => undefined);
    await container.start();
    await ready;
    const c = container;
    helper.explainDeath = (tail) => explainDeath(c, tail);
    return new Sandbox({ docker, container: c, helper, spec: o.spec, key: o.key, image: o.image, execLimit: o.execLimit, helperGraceMs: o.helperGraceMs, onDestroy: o.onDestroy });
  })();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SandboxError('create_timeout', `create + start took longer than ${o.createTimeoutMs} ms`)), o.createTimeoutMs);
    onAbort = () => reject(new AbortedError(describeAbortReason(o.signal?.reason)));
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } catch (err) {
    // Whatever got created must not outlive this failure; a late create is removed when it lands.
    const cleanup = async (): Promise<void> => {
      await work.catch(() => undefined);
      helper?.end();
      await container?.remove({ force: true, v: true }).catch(() => undefined);
    };
    void cleanup();
    throw err instanceof SandboxError || err instanceof AbortedError ? err : toSandboxError(err, 'create_failed', `create sandbox from ${o.image}`, container?.id);
  } finally {
    clearTimeout(timer);
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
  }
}

async function explainDeath(container: Docker.Container, stderrTail: string): Promise<SandboxError> {
  const tail = stderrTail.trim().slice(-500);
  try {
    const info = await container.inspect();
    if (info.State.OOMKilled) return new SandboxError('oom', 'the sandbox was killed for exceeding its memory limit', { containerId: container.id });
    return new SandboxError('sandbox_died', `the sandbox exited (code ${info.State.ExitCode})${tail ? `: ${tail}` : ''}`, { containerId: container.id });
  } catch (err) {
    if (isDockerUnreachable(err)) {
      return new SandboxError('docker_unavailable', `the Docker daemon stopped answering (${(err as Error).message})`, { cause: err, containerId: container.id });
    }
    const gone = statusCodeOf(err) === 404;
    // Removed under us (the reaper, an operator): not something the agent can do.
    return new SandboxError('sandbox_died', `the sandbox ${gone ? 'is gone' : 'stopped answering'}${tail ? `: ${tail}` : ''}`, { containerId: container.id, agentCaused: gone ? false : undefined });
  }
}
