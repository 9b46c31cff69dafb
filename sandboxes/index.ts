// Docker sandboxes: pool, fork, hardened containers, the in-container helper, images, reaper.
export { SandboxPool, type SandboxPoolOptions, type PoolStats } from './pool.ts';
export { Sandbox, type SandboxState } from './sandbox.ts';
export { ExecStream, type ExecChunk } from './exec-stream.ts';
export type { ExecOptions, ExecResult, FileEntry, ListOptions } from './exec-types.ts';
export { SandboxError, SandboxFileError, type SandboxFailureReason, type SandboxFileErrorKind } from './errors.ts';
export { SandboxSpecSchema, SandboxLimitsSchema, parseSandboxSpec, type SandboxSpec, type ResolvedSandboxSpec } from './spec.ts';
export { ensureBaseImage, baseImageTag, BASE_IMAGE_REPO } from './base-image.ts';
export { buildEnvImage, resolveSandboxImage } from './images.ts';
export { reapSandboxes } from './reaper.ts';
export { LABELS as SANDBOX_LABELS } from './docker-daemon.ts';
