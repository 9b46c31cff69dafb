/** `find` (files by name) and `grep` (lines by regex), read-only, `.git` skipped, output bounded. */
import { z } from 'zod';
import { tool } from '../src/env/tool.ts';
import { sandboxOf, toolError, type SandboxToolContext } from './context.ts';

const MAX_RESULTS = 200;
const MAX_LINE_CHARS = 300;
const TIMEOUT_MS = 60_000;

function bounded(lines: string[], what: string): string {
  const shown = lines.slice(0, MAX_RESULTS).map((l) => (l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS)} [...]` : l));
  const more = lines.length > MAX_RESULTS ? `\n[${lines.length - MAX_RESULTS} more ${what} not shown; narrow the search]` : '';
  return shown.join('\n') + more;
}

const findInput = z.object({
  pattern: z.string().min(1).describe('File name glob, e.g. "*.py" or "test_*"'),
  path: z.string().min(1).default('.').describe('Directory to search (default: the working directory)'),
});

export const find = tool({
  description: 'Find files whose name matches a glob under a directory (skips .git). Returns matching paths.',
  inputSchema: findInput,
  async execute({ pattern, path }, ctx: SandboxToolContext) {
    const sandbox = sandboxOf(ctx, 'find');
    // argv, not a shell string: the pattern reaches find untouched whatever it contains.
    const r = await sandbox.exec(['find', path, '-name', '.git', '-prune', '-o', '-name', pattern, '-print'], { timeoutMs: TIMEOUT_MS, signal: ctx.signal });
    if (r.exitCode !== 0 && r.stdout === '') return toolError(r.stderr.trim().replace(/^find: /, '') || `find exited ${r.exitCode}`);
    const paths = r.stdout.split('\n').filter(Boolean).sort();
    return paths.length === 0 ? `No files named ${pattern} under ${path}` : bounded(paths, 'paths');
  },
});

const grepInput = z.object({
  pattern: z.string().min(1).describe('Extended regular expression (grep -E)'),
  path: z.string().min(1).default('.').describe('File or directory to search (default: the working directory)'),
  include: z.string().optional().describe('Only files whose name matches this glob, e.g. "*.py"'),
  ignore_case: z.boolean().default(false),
});

export const grep = tool({
  description: 'Search file contents for a regular expression (recursive, skips .git and binary files). Returns file:line:text matches.',
  inputSchema: grepInput,
  async execute({ pattern, path, include, ignore_case }, ctx: SandboxToolContext) {
    const sandbox = sandboxOf(ctx, 'grep');
    const argv = ['grep', '-rnIE', '--exclude-dir=.git', ...(ignore_case ? ['-i'] : []), ...(include ? ['--include', include] : []), '-e', pattern, '--', path];
    const r = await sandbox.exec(argv, { timeoutMs: TIMEOUT_MS, signal: ctx.signal });
    if (r.exitCode === 1) return `No matches for ${pattern} in ${path}`;
    if (r.exitCode !== 0) return toolError(r.stderr.trim().replace(/^grep: /, '') || `grep exited ${r.exitCode}`);
    return bounded(r.stdout.split('\n').filter(Boolean), 'matches');
  },
});
