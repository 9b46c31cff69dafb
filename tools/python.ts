/** `python`: run a Python 3 program in the sandbox (the code goes in on stdin, not a file). */
import { z } from 'zod';
import { tool } from '../src/env/tool.ts';
import { sandboxOf, type SandboxToolContext } from './context.ts';
import { DEFAULT_MAX_OUTPUT_CHARS, execOutcome, formatExecResult } from './output.ts';

export interface PythonToolOptions {
  timeoutMs?: number;
  maxOutputChars?: number;
  /** The interpreter inside the sandbox. Default `python3`. */
  interpreter?: string;
}

const pythonInput = z.object({
  code: z.string().min(1).describe('A complete Python 3 program; print what you want to see'),
});

export function pythonTool({ timeoutMs = 120_000, maxOutputChars = DEFAULT_MAX_OUTPUT_CHARS, interpreter = 'python3' }: PythonToolOptions = {}) {
  return tool({
    description: 'Run a Python 3 program in the sandbox, in the working directory. Returns what it prints, errors and the exit code.',
    inputSchema: pythonInput,
    async execute({ code }, ctx: SandboxToolContext) {
      const sandbox = sandboxOf(ctx, 'python');
      const r = await sandbox.exec([interpreter, '-'], { stdin: code, timeoutMs, signal: ctx.signal, maxOutputBytes: maxOutputChars * 4, truncate: 'middle' });
      return { output: formatExecResult(r, { maxChars: maxOutputChars, timeoutMs, truncate: 'middle' }), ...execOutcome(r, ctx.emit) };
    },
  });
}

export const python = pythonTool();
