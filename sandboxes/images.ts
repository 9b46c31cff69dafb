/**
 * From a spec to a runnable image: the base image, a user image (pulled if missing), or an env
 * Dockerfile built FROM the base; then the env's setup commands run once as root and committed
 * as `physarum/setup:<hash of (image id, setup)>`, so every later sandbox starts set up.
 */
import type Docker from 'dockerode';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_IMAGE_REPO, ensureBaseImage } from './base-image.ts';
import { imageExists, LABELS, OWNER_HOST } from './docker-daemon.ts';
import { SandboxError, toSandboxError } from './errors.ts';
import { withFileLock } from './file-lock.ts';
import { hashOf, type ResolvedSandboxSpec } from './spec.ts';
import { ownerStartTime } from './reaper.ts';

export interface ImageOptions {
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Limit for the setup commands together (default 30 min). */
  setupTimeoutMs?: number;
}

/** Builds an env image from a Dockerfile whose `FROM physarum/base` means the base image. */
export async function buildEnvImage(docker: Docker, image: { dockerfile: string; files?: Record<string, string> }, options: ImageOptions = {}): Promise<string> {
  const base = await ensureBaseImage(docker, options);
  const dockerfile = image.dockerfile.replace(/^(\s*FROM\s+)physarum\/base(?=\s|$)/gim, `$1${base}`);
  const files = image.files ?? {};
  const tag = `physarum/env:${hashOf(base, dockerfile, files)}`;
  if (await imageExists(docker, tag)) return tag;
  const dir = mkdtempSync(path.join(tmpdir(), 'physarum-build-'));
  try {
    writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
    for (const [name, content] of Object.entries(files)) {
      if (path.isAbsolute(name) || name.split('/').includes('..')) throw new SandboxError('image_build_failed', `build file '${name}' must be a relative path inside the context`);
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    options.log?.(`building ${tag}`);
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile', ...Object.keys(files)] }, { t: tag, rm: true, forcerm: true });
    await followOrFail(docker, stream, `docker build ${tag}`);
  } catch (err) {
    throw toSandboxError(err, 'image_build_failed', `build env image ${tag}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!(await imageExists(docker, tag))) throw new SandboxError('image_build_failed', `docker build ${tag} finished without producing the image`);
  return tag;
}

function followOrFail(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<void> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string; stream?: string }>) => {
      const failed = err?.message ?? out.find((o) => o.error)?.error;
      if (!failed) return resolve();
      const tail = out.map((o) => o.stream ?? '').join('').slice(-2000);
      reject(new SandboxError('image_build_failed', `${what}: ${failed}\n${tail}`));
    }),
  );
}

async function resolveSourceImage(docker: Docker, spec: ResolvedSandboxSpec, options: ImageOptions): Promise<string> {
  if (spec.image === undefined || spec.image === BASE_IMAGE_REPO) return ensureBaseImage(docker, options);
  if (typeof spec.image !== 'string') return buildEnvImage(docker, spec.image, options);
  if (await imageExists(docker, spec.image)) return spec.image;
  try {
    options.log?.(`pulling ${spec.image}`);
    await followOrFail(docker, await docker.pull(spec.image), `docker pull ${spec.image}`);
  } catch (err) {
    throw toSandboxError(err, 'image_build_failed', `image '${spec.image}' is not on the Docker daemon and could not be pulled`);
  }
  return spec.image;
}

/** The image sandboxes of this spec start from: source image plus cached setup. */
export async function resolveSandboxImage(docker: Docker, spec: ResolvedSandboxSpec, options: ImageOptions = {}): Promise<string> {
  const source = await resolveSourceImage(docker, spec, options);
  // The base image already has a writable /workspace for uid 1000: nothing to set up.
  const isBase = spec.image === undefined || spec.image === BASE_IMAGE_REPO;
  if (spec.setup.length === 0 && isBase && spec.workdir === '/workspace' && spec.user === '1000:1000') return source;
  const sourceId = (await docker.getImage(source).inspect()).Id;
  const network = spec.setupNetwork ?? spec.network;
  const tag = `physarum/setup:${hashOf(sourceId, spec.setup, spec.workdir, spec.user, network)}`;
  if (await imageExists(docker, tag)) return tag;
  return withFileLock(path.join(tmpdir(), `physarum-setup-${tag.split(':')[1]}.lock`), async () => {
    if (await imageExists(docker, tag)) return tag;
    await runSetup(docker, source, tag, spec, network, options);
    return tag;
  }, { signal: options.signal });
}

async function runSetup(docker: Docker, source: string, tag: string, spec: ResolvedSandboxSpec, network: boolean, options: ImageOptions): Promise<void> {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  // Setup is the env author's trusted code: root, default capabilities; the workdir is handed to
  // the sandbox user afterwards so the agent can edit what setup put there.
  const script = [
    'set -e',
    `mkdir -p ${q(spec.workdir)}`,
    `cd ${q(spec.workdir)}`,
    ...spec.setup.map((cmd, i) => `echo "+ setup[${i}]" >&2\n( ${cmd}\n)`),
    `chown -R ${spec.user} ${q(spec.workdir)}`,
  ].join('\n');
  let container: Docker.Container | undefined;
  try {
    options.log?.(`running setup for ${tag}`);
    container = await docker.createContainer({
      Image: source,
      Cmd: ['/bin/bash', '-c', script],
      User: '0:0',
      WorkingDir: '/',
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: {
        [LABELS.sandbox]: '1', [LABELS.role]: 'setup', [LABELS.run]: 'setup',
        [LABELS.ownerPid]: String(process.pid), [LABELS.ownerStart]: ownerStartTime(process.pid) ?? '',
        [LABELS.ownerHost]: OWNER_HOST, [LABELS.expires]: String(Date.now() + (options.setupTimeoutMs ?? 1_800_000) + 60_000),
      },
      HostConfig: {
        NetworkMode: network ? 'bridge' : 'none',
        Memory: spec.limits.memoryMb * 2 ** 20,
        MemorySwap: spec.limits.memoryMb * 2 ** 20,
        NanoCpus: Math.round(spec.limits.cpus * 1e9),
        PidsLimit: Math.max(spec.limits.pids, 1024),
      },
    });
    await container.start();
    const waited = container.wait() as Promise<{ StatusCode: number }>;
    const limit = options.setupTimeoutMs ?? 1_800_000;
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new SandboxError('image_build_failed', `setup for ${tag} ran past ${limit} ms`)), limit).unref());
    const { StatusCode } = await Promise.race([waited, timeout]);
    if (StatusCode !== 0) {
      const logs = demuxLogs(await container.logs({ stdout: true, stderr: true, tail: 40 }));
      throw new SandboxError('image_build_failed', `setup commands exited ${StatusCode}:\n${logs.slice(-2000)}`);
    }
    await container.commit({ repo: 'physarum/setup', tag: tag.split(':')[1] });
  } catch (err) {
    throw toSandboxError(err, 'image_build_failed', `setup for ${tag}`);
  } finally {
    await container?.remove({ force: true, v: true }).catch(() => undefined);
  }
}

/** Docker's non-TTY log format: frames of [stream, 0, 0, 0, size (u32 BE)] + payload. */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
