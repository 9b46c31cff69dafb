/**
 * physarum's base sandbox image: Debian bookworm `debootstrap --variant=minbase` with bash,
 * coreutils, python3, git, ps, which, diff and patch, imported with `docker import`. The tag is a content hash of the
 * recipe, so each Docker daemon builds it once; concurrent builders on one machine wait on a file lock.
 */
import type Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { throwIfAborted } from '../src/protocol/errors.ts';
import { imageExists } from './docker-daemon.ts';
import { findDebianMirror } from './debian-mirror.ts';
import { SandboxError, toSandboxError } from './errors.ts';
import { withFileLock } from './file-lock.ts';

export const BASE_IMAGE_REPO = 'physarum/base';
export const BASE_SUITE = 'bookworm';
// What agents reach for besides python and git: ps (procps), which (debianutils), diff (diffutils), patch.
export const BASE_PACKAGES = ['python3', 'git', 'procps', 'debianutils', 'diffutils', 'patch'] as const;
const SCRIPT = path.join(import.meta.dirname, 'build-base-rootfs.sh');
// Applied by `docker import`; part of the hash because they change the image.
const IMPORT_CHANGES = [
  'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'ENV LANG=C.UTF-8',
  'ENV HOME=/home/sandbox',
  'WORKDIR /workspace',
  'CMD ["/bin/bash"]',
];

export function baseImageTag(): string {
  const h = createHash('sha256')
    .update(readFileSync(SCRIPT))
    .update(JSON.stringify([BASE_SUITE, BASE_PACKAGES, IMPORT_CHANGES]))
    .digest('hex');
  return `${BASE_IMAGE_REPO}:${h.slice(0, 16)}`;
}

export interface BaseImageOptions {
  signal?: AbortSignal;
  /** Progress lines of the one-time build (debootstrap's output). */
  log?: (line: string) => void;
}

const inFlight = new WeakMap<Docker, Promise<string>>();

/** Returns the base image tag, building it first if this Docker daemon lacks it. */
export function ensureBaseImage(docker: Docker, options: BaseImageOptions = {}): Promise<string> {
  let p = inFlight.get(docker);
  if (!p) {
    p = ensureUncached(docker, options);
    inFlight.set(docker, p);
    p.catch(() => inFlight.delete(docker));
  }
  return p;
}

async function ensureUncached(docker: Docker, { signal, log }: BaseImageOptions): Promise<string> {
  const tag = baseImageTag();
  if (await imageExists(docker, tag)) return tag;
  const lockDir = path.join(tmpdir(), `physarum-base-image-${tag.split(':')[1]}.lock`);
  return withFileLock(lockDir, async () => {
    if (await imageExists(docker, tag)) return tag; // another process built it while we waited
    throwIfAborted(signal);
    const rootfs = mkdtempSync(path.join(tmpdir(), 'physarum-rootfs-'));
    try {
      const mirror = findDebianMirror(BASE_SUITE);
      log?.(`building ${tag}: debootstrap ${BASE_SUITE} from ${mirror} (once per Docker daemon)`);
      await runScript(['bash', SCRIPT, rootfs, BASE_SUITE, mirror, BASE_PACKAGES.join(',')], log, signal);
      await importRootfs(docker, rootfs, tag);
      return tag;
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  }, { signal });
}

function runScript(argv: string[], log: ((line: string) => void) | undefined, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], signal });
    let tail = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      tail = (tail + d).slice(-4000);
      for (const line of d.split('\n')) if (line.trim()) log?.(line);
    });
    child.on('error', (err) => reject(toSandboxError(err, 'image_build_failed', 'debootstrap')));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new SandboxError('image_build_failed', `base rootfs build exited ${code}:\n${tail}`));
    });
  });
}

async function importRootfs(docker: Docker, rootfs: string, tag: string): Promise<void> {
  const [repo, version] = tag.split(':') as [string, string];
  const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const stream = await docker.importImage(tar.stdout as unknown as string, { repo, tag: version, changes: IMPORT_CHANGES } as Record<string, unknown>);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
        const failed = err?.message ?? out.find((o) => o.error)?.error;
        if (failed) reject(new SandboxError('image_build_failed', `docker import ${tag}: ${failed}`));
        else resolve();
      }),
    );
  } catch (err) {
    throw toSandboxError(err, 'image_build_failed', `docker import ${tag}`);
  }
  if (!(await imageExists(docker, tag))) throw new SandboxError('image_build_failed', `docker import ${tag} reported success but the image is missing`);
}
