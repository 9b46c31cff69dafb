/**
 * What every sandbox tool shares: getting the sandbox from the tool context, and the line
 * between observations and failures. A file the model named wrongly is an observation (a tool
 * error it can read and fix); a sandbox that died or ran out of memory is an infrastructure
 * failure, re-thrown so the episode ends as `sandbox_error` instead of scoring it.
 */
import { PhysarumError } from '../src/protocol/errors.ts';
import type { ToolContext, ToolResult } from '../src/env/tool.ts';
import { SandboxFileError, type Sandbox } from '../sandboxes/index.ts';

export type SandboxToolContext = ToolContext<unknown, unknown, Sandbox>;

export function sandboxOf(ctx: SandboxToolContext, toolName: string): Sandbox {
  if (!ctx.sandbox) {
    throw new PhysarumError('PHYSARUM_ENV', `tool '${toolName}' runs in a sandbox, but the env declares none (set the env's sandbox spec)`);
  }
  return ctx.sandbox;
}

export function toolError(message: string): ToolResult {
  return { output: `Error: ${message}`, isError: true };
}

/** Describes a file error for the model; anything else is re-thrown. */
export function fileErrorResult(err: unknown, path: string): ToolResult {
  if (!(err instanceof SandboxFileError)) throw err;
  const reasons: Record<string, string> = {
    not_found: `${path} does not exist`,
    is_directory: `${path} is a directory, not a file`,
    not_a_directory: `${path} is not a directory`,
    permission_denied: `permission denied: ${path}`,
    read_only: `${path} is on a read-only file system`,
    no_space: `no space left on the device writing ${path}`,
  };
  return toolError(reasons[err.kind] ?? err.message);
}
