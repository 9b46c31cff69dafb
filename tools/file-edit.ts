/**
 * `str_replace`: replace one exact occurrence of a string in a file. Zero or several matches
 * are answered with what the model needs to retry (where the matches are), never guessed at.
 */
import { z } from 'zod';
import { tool } from '../src/env/tool.ts';
import { fileErrorResult, sandboxOf, toolError, type SandboxToolContext } from './context.ts';
import { clip, DEFAULT_MAX_OUTPUT_CHARS, numberLines } from './output.ts';

const SNIPPET_CONTEXT_LINES = 4;
/** The largest file str_replace edits (as `view` reads); bigger ones are for bash (sed, python). */
export const MAX_EDIT_BYTES = 4 << 20;
const MAX_LISTED_MATCHES = 20;

const strReplaceInput = z.object({
  path: z.string().min(1).describe('File to edit'),
  old_str: z.string().min(1).describe('The exact text to replace, including whitespace; it must occur exactly once'),
  new_str: z.string().describe('The replacement text (empty to delete)'),
});

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

export function occurrences(text: string, needle: string, max = Infinity): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(needle); i !== -1 && at.length < max; i = text.indexOf(needle, i + 1)) at.push(i);
  return at;
}

export const strReplace = tool({
  description: 'Edit a file by replacing old_str, which must occur exactly once, with new_str. Returns the edited region with line numbers.',
  inputSchema: strReplaceInput,
  async execute({ path, old_str, new_str }, ctx: SandboxToolContext) {
    const sandbox = sandboxOf(ctx, 'str_replace');
    let bytes: Buffer;
    try {
      // One byte past the limit tells a file at the limit from a bigger one.
      bytes = await sandbox.readFileBytes(path, { signal: ctx.signal, maxBytes: MAX_EDIT_BYTES + 1 });
    } catch (err) {
      return fileErrorResult(err, path);
    }
    if (bytes.length > MAX_EDIT_BYTES) {
      return toolError(`${path} is larger than ${MAX_EDIT_BYTES >> 20} MiB; str_replace edits smaller files (use bash, e.g. sed or python, for this one)`);
    }
    const text = bytes.toString('utf8');
    const found = occurrences(text, old_str, MAX_LISTED_MATCHES + 1);
    if (found.length === 0) {
      return toolError(`old_str was not found in ${path}; it must match exactly, including whitespace and indentation`);
    }
    if (found.length > 1) {
      const lines = found.slice(0, MAX_LISTED_MATCHES).map((i) => lineOf(text, i));
      const count = found.length > MAX_LISTED_MATCHES ? `more than ${MAX_LISTED_MATCHES}` : String(found.length);
      return toolError(`old_str occurs ${count} times in ${path} (lines ${lines.join(', ')}${found.length > MAX_LISTED_MATCHES ? ', ...' : ''}); include more surrounding lines to make it unique`);
    }
    const at = found[0]!;
    const edited = text.slice(0, at) + new_str + text.slice(at + old_str.length);
    try {
      await sandbox.writeFile(path, edited, { signal: ctx.signal });
    } catch (err) {
      return fileErrorResult(err, path);
    }
    const first = Math.max(1, lineOf(edited, at) - SNIPPET_CONTEXT_LINES);
    const last = lineOf(edited, at + new_str.length) + SNIPPET_CONTEXT_LINES;
    const snippet = edited.split('\n').slice(first - 1, last).join('\n');
    // A long edited line (a minified file) is clipped like every tool's output, and says so.
    return clip(`Edited ${path}. The region now reads:\n${numberLines(snippet, first)}`, DEFAULT_MAX_OUTPUT_CHARS);
  },
});
