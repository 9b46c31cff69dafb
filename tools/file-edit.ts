/**
 * `str_replace`: replace one exact occurrence of a string in a file. Zero or several matches
 * are answered with what the model needs to retry (where the matches are), never guessed at.
 */
import { z } from 'zod';
import { tool } from '../src/env/tool.ts';
import { fileErrorResult, sandboxOf, toolError, type SandboxToolContext } from './context.ts';
import { numberLines } from './output.ts';

const SNIPPET_CONTEXT_LINES = 4;

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

export function occurrences(text: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) at.push(i);
  return at;
}

export const strReplace = tool({
  description: 'Edit a file by replacing old_str, which must occur exactly once, with new_str. Returns the edited region with line numbers.',
  inputSchema: strReplaceInput,
  async execute({ path, old_str, new_str }, ctx: SandboxToolContext) {
    const sandbox = sandboxOf(ctx, 'str_replace');
    let text: string;
    try {
      text = await sandbox.readFile(path, { signal: ctx.signal });
    } catch (err) {
      return fileErrorResult(err, path);
    }
    const found = occurrences(text, old_str);
    if (found.length === 0) {
      return toolError(`old_str was not found in ${path}; it must match exactly, including whitespace and indentation`);
    }
    if (found.length > 1) {
      const lines = found.map((i) => lineOf(text, i));
      return toolError(`old_str occurs ${found.length} times in ${path} (lines ${lines.join(', ')}); include more surrounding lines to make it unique`);
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
    return `Edited ${path}. The region now reads:\n${numberLines(snippet, first)}`;
  },
});
