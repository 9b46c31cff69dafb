/** `bash`: run a shell command in the sandbox's workdir. Each call is a fresh `bash -c`. */
import { z } from 'zod';
import { tool } from '../src/env/tool.ts';
import { sandboxOf, type SandboxToolContext } from './context.ts';
import { DEFAULT_MAX_OUTPUT_CHARS, execOutcome, formatExecResult } from './output.ts';

export interface BashToolOptions {
  /** Per-command limit unless the call asks for less. Default 120 s. */
  timeoutMs?: number;
  /** Characters of output shown to the model (head and tail kept). */
  maxOutputChars?: number;
}

const bashInput = z.object({
  command: z.string().min(1).describe('The bash command to run, e.g. "ls -la && python3 -m pytest -q"'),
  timeout: z.number().positive().optional().describe('Seconds before the command is killed (optional)'),
});

export function bashTool({ timeoutMs = 120_000, maxOutputChars = DEFAULT_MAX_OUTPUT_CHARS }: BashToolOptions = {}) {
  return tool({
    description:
      'Run a bash command in the sandbox, starting in the working directory. Each call is a fresh shell ' +
      '(cd and variables do not persist; chain with &&). Returns stdout, stderr and the exit code.',
    inputSchema: bashInput,
    async execute({ command, timeout }, ctx: SandboxToolContext) {
      const sandbox = sandboxOf(ctx, 'bash');
      const limit = Math.min(timeout !== undefined ? timeout * 1000 : timeoutMs, timeoutMs);
      const r = await sandbox.exec(command, { timeoutMs: limit, signal: ctx.signal, maxOutputBytes: maxOutputChars * 4, truncate: 'middle' });
      ctx.emit('bash_calls', 1);
      if (r.timedOut) ctx.emit('bash_timeouts', 1);
      return { output: formatExecResult(r, { maxChars: maxOutputChars, timeoutMs: limit, truncate: 'middle' }), ...execOutcome(r, ctx.emit) };
    },
  });
}

export const bash = bashTool();
