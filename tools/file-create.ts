/** `create`: write a whole file (parents created), replacing it if it exists. */
import { z } from 'zod';
import { tool } from '../src/env/tool.ts';
import { SandboxFileError } from '../sandboxes/index.ts';
import { fileErrorResult, sandboxOf, type SandboxToolContext } from './context.ts';

const createInput = z.object({
  path: z.string().min(1).describe('File to write, relative to the working directory or absolute'),
  file_text: z.string().describe('The complete content of the file'),
});

export const create = tool({
  description: 'Create a file with the given content (parent directories are created). An existing file is overwritten.',
  inputSchema: createInput,
  async execute({ path, file_text }, ctx: SandboxToolContext) {
    const sandbox = sandboxOf(ctx, 'create');
    let existed = true;
    try {
      await sandbox.readFileBytes(path, { maxBytes: 0, signal: ctx.signal });
    } catch (err) {
      if (err instanceof SandboxFileError && err.kind === 'not_found') existed = false;
      else return fileErrorResult(err, path);
    }
    try {
      await sandbox.writeFile(path, file_text, { signal: ctx.signal });
    } catch (err) {
      return fileErrorResult(err, path);
    }
    const lines = file_text === '' ? 0 : file_text.split('\n').length - (file_text.endsWith('\n') ? 1 : 0);
    return `${existed ? 'Overwrote' : 'Created'} ${path} (${lines} line${lines === 1 ? '' : 's'})`;
  },
});
