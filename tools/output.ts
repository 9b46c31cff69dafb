/**
 * Turning sandbox results into text a model reads well: long output keeps its head and tail
 * (errors are usually at the end), and every cut is stated, never silent.
 */
import type { ExecResult } from '../sandboxes/index.ts';

export const DEFAULT_MAX_OUTPUT_CHARS = 16_000;

/** Keeps the first and last parts of `text` within `maxChars`, naming what was left out. */
export function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = Math.ceil(maxChars * 0.4);
  const tail = maxChars - head;
  const omitted = text.length - head - tail;
  return `${text.slice(0, head)}\n[... ${omitted} characters omitted ...]\n${text.slice(text.length - tail)}`;
}

/** stdout, then stderr (labelled), then how the command ended when it was not a plain success. */
export function formatExecResult(
  r: ExecResult,
  { maxChars = DEFAULT_MAX_OUTPUT_CHARS, timeoutMs, truncate = 'head' }: { maxChars?: number; timeoutMs?: number; truncate?: 'head' | 'middle' } = {},
): string {
  const parts: string[] = [];
  if (r.stdout) parts.push(r.stdout.replace(/\n$/, ''));
  if (r.stderr) parts.push(`[stderr]\n${r.stderr.replace(/\n$/, '')}`);
  let body = clip(parts.join('\n'), maxChars);
  // With 'middle' the sandbox already marked the cut inside the output.
  if (r.truncated && truncate === 'head') body += '\n[output truncated at the sandbox output limit]';
  if (r.timedOut) body += `\n[command timed out${timeoutMs ? ` after ${timeoutMs / 1000} s` : ''} and was killed]`;
  else if (r.signal) body += `\n[killed by ${r.signal}]`;
  else if (r.exitCode !== 0) body += `\n[exit code ${r.exitCode}]`;
  return body.trim() === '' ? '[no output]' : body.replace(/^\n/, '');
}

/** Prefixes each line with its 1-based number, as `cat -n` does. */
export function numberLines(text: string, firstLine = 1): string {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const width = String(firstLine + lines.length - 1).length;
  return lines.map((line, i) => `${String(firstLine + i).padStart(width)}\t${line}`).join('\n');
}

/**
 * How a command's ending counts: a non-zero exit (a failing test run) is a result the model reads,
 * counted as `tool_nonzero_exits`; only a command that could not finish (timed out, killed by a
 * signal) is a tool error (`isError`, counted as `tool_errors`). See docs/sandboxes.md.
 */
export function execOutcome(r: ExecResult, emit: (name: string, value: number) => void): { isError: boolean } {
  const unfinished = r.timedOut || r.signal !== null;
  if (!unfinished && r.exitCode !== 0) emit('tool_nonzero_exits', 1);
  return { isError: unfinished };
}
