/**
 * What a sandbox is made of. Defaults are the hardened ones: no network, 1 CPU, 1 GiB, 256 pids,
 * non-root. The pool key is a hash of everything that changes the container, so warm sandboxes
 * and forks always match the spec they are handed out for.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError } from '../src/protocol/errors.ts';

export const SandboxLimitsSchema = z.object({
  memoryMb: z.number().int().min(16).default(1024).describe('memory limit in MiB (no swap on top)'),
  cpus: z.number().positive().max(256).default(1).describe('CPU quota in cores'),
  pids: z.number().int().min(16).default(256).describe('process/thread limit: contains fork bombs'),
  diskMb: z.number().int().min(1).default(1024).describe('disk the agent may fill (workdir, home, /tmp, /var/tmp, statePaths; also the largest file)'),
});

export const DockerfileImageSchema = z.object({
  /** A Dockerfile; `FROM physarum/base` names the content-hashed base image. */
  dockerfile: z.string().min(1),
  /** Extra build-context files, path → content. */
  files: z.record(z.string(), z.string()).default({}),
});

export const SandboxSpecSchema = z.object({
  /** Image: omitted (or `physarum/base`) = physarum's base image; a string = an image reference; or a Dockerfile. */
  image: z.union([z.string().min(1), DockerfileImageSchema]).optional(),
  /** The env's own setup commands, run once as root and cached as an image per (image, setup). */
  setup: z.array(z.string()).default([]),
  /** Network during setup (default: same as `network`). */
  setupNetwork: z.boolean().optional(),
  workdir: z.string().regex(/^\/[^\0]*$/, 'workdir must be an absolute path').default('/workspace'),
  /**
   * Outbound network for the agent: off unless asked for. When on, the host, the bridge's subnet,
   * link-local metadata and private ranges stay unreachable unless listed in `egressAllow`.
   */
  network: z.boolean().default(false),
  /** IPv4 addresses or CIDRs the agent may reach despite the egress guard (e.g. a package mirror on 10.x). */
  egressAllow: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/, 'egressAllow entries are IPv4 addresses or CIDRs')).default([]),
  limits: SandboxLimitsSchema.prefault({}),
  /** Read-only root filesystem; the workdir (a volume) and /tmp (tmpfs) stay writable. */
  readOnlyRoot: z.boolean().default(false),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'env names are shell identifiers'), z.string()).default({}),
  /** Writable paths beyond workdir, home, /tmp and /var/tmp whose contents `fork` copies. */
  statePaths: z.array(z.string().regex(/^\//, 'state paths are absolute')).default([]),
  /**
   * Where the agent's work is, for a verification room (`pool.verificationRoom`): files or
   * directories, relative to the workdir or absolute. Only changes under these reach the room.
   */
  verifyPaths: z.array(z.string().min(1)).default([]),
  /** uid:gid every command of the agent runs as (the helper is another user); never root. */
  user: z.string().regex(/^[1-9][0-9]*(:[0-9]+)?$/, 'user must be a non-zero uid[:gid]').default('1000:1000'),
});

export type SandboxSpec = z.input<typeof SandboxSpecSchema>;
export type ResolvedSandboxSpec = z.output<typeof SandboxSpecSchema>;

export function parseSandboxSpec(spec: SandboxSpec | ResolvedSandboxSpec): ResolvedSandboxSpec {
  const r = SandboxSpecSchema.safeParse(spec);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InvalidInputError(`invalid sandbox spec at '${issue.path.join('.') || '(root)'}': ${issue.message}`);
  }
  return r.data;
}

export function hashOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The key of containers built from `imageRef` with this spec: same key = interchangeable. */
export function poolKey(imageRef: string, spec: ResolvedSandboxSpec): string {
  // statePaths does not change the container, but forks read it from the key's spec.
  return hashOf(imageRef, spec.workdir, spec.network, spec.limits, spec.readOnlyRoot, spec.env, spec.user, spec.statePaths, spec.verifyPaths, spec.egressAllow);
}
