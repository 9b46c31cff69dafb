/** `view`: a file with line numbers (optionally a line range), or a directory's tree two levels deep. */
import { z } from 'zod';
import { tool } from '../src/env/tool.ts';
import { fileErrorResult, sandboxOf, toolError, type SandboxToolContext } from './context.ts';
import { clip, DEFAULT_MAX_OUTPUT_CHARS, numberLines } from './output.ts';

const MAX_FILE_BYTES = 4 << 20;
const MAX_DIR_ENTRIES = 300;

const viewInput = z.object({
  path: z.string().min(1).describe('File or directory, relative to the working directory or absolute'),
  view_range: z
    .tuple([z.number().int().min(1), z.number().int().min(-1)])
    .optional()
    .describe('[first, last] line numbers to show, 1-based and inclusive; last = -1 means to the end'),
});

export function viewTool({ maxOutputChars = DEFAULT_MAX_OUTPUT_CHARS }: { maxOutputChars?: number } = {}) {
  return tool({
    description: 'View a file with line numbers (optionally only view_range), or list a directory two levels deep (hidden entries skipped).',
    inputSchema: viewInput,
    async execute({ path, view_range }, ctx: SandboxToolContext) {
      const sandbox = sandboxOf(ctx, 'view');
      let entries;
      try {
        entries = await sandbox.listFiles(path, { maxDepth: 2, maxEntries: MAX_DIR_ENTRIES, includeHidden: false, signal: ctx.signal });
      } catch {
        entries = undefined; // not a directory (or missing): read it as a file below
      }
      if (entries) {
        if (view_range) return toolError(`view_range applies to files; ${path} is a directory`);
        const lines = entries.map((e) => (e.type === 'dir' ? `${e.path}/` : e.path));
        const more = entries.length >= MAX_DIR_ENTRIES ? `\n[listing stopped at ${MAX_DIR_ENTRIES} entries]` : '';
        return lines.length === 0 ? `${path} is an empty directory` : `${lines.join('\n')}${more}`;
      }
      let bytes: Buffer;
      try {
        bytes = await sandbox.readFileBytes(path, { maxBytes: MAX_FILE_BYTES, signal: ctx.signal });
      } catch (err) {
        return fileErrorResult(err, path);
      }
      if (bytes.includes(0)) return toolError(`${path} is a binary file (${bytes.length} bytes); view only shows text`);
      const text = bytes.toString('utf8');
      const all = text.split('\n');
      if (all.length > 1 && all[all.length - 1] === '') all.pop();
      if (!view_range) {
        if (text === '') return `${path} is empty`;
        return clip(numberLines(text), maxOutputChars);
      }
      const [first, lastAsked] = view_range;
      const last = lastAsked === -1 ? all.length : lastAsked;
      if (first > all.length) return toolError(`view_range starts at line ${first}, but ${path} has ${all.length} lines`);
      if (last < first) return toolError(`view_range [${first}, ${lastAsked}] ends before it starts`);
      return clip(numberLines(all.slice(first - 1, last).join('\n'), first), maxOutputChars);
    },
  });
}

export const view = viewTool();
