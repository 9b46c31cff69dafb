// Tools that run in a sandbox (ctx.sandbox): shell, Python, file view/create/edit, search, submit.
import type { ToolSet } from '../src/env/tool.ts';
import { bash, bashTool, type BashToolOptions } from './bash.ts';
import { create } from './file-create.ts';
import { strReplace } from './file-edit.ts';
import { view, viewTool } from './file-view.ts';
import { python, pythonTool, type PythonToolOptions } from './python.ts';
import { find, grep } from './search.ts';
import { submit } from './submit.ts';

export { bash, bashTool, type BashToolOptions, python, pythonTool, type PythonToolOptions, view, viewTool, create, strReplace, find, grep, submit };
export type { Submission, SubmitState } from './submit.ts';
export { clip, formatExecResult, numberLines } from './output.ts';
export { sandboxOf, fileErrorResult, toolError, type SandboxToolContext } from './context.ts';

/** The standard coding-agent tool set, keyed by the names models know them by. */
export function codingTools(options: { bash?: BashToolOptions; python?: PythonToolOptions } = {}) {
  return {
    bash: options.bash ? bashTool(options.bash) : bash,
    python: options.python ? pythonTool(options.python) : python,
    view,
    create,
    str_replace: strReplace,
    find,
    grep,
    submit,
  } satisfies ToolSet;
}
