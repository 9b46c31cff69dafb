// The sandbox tools against a real sandbox: what the model reads back, and which failures are
// observations (returned) versus infrastructure (thrown, ending the episode as sandbox_error).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolSpecs, type ToolContext, type ToolResult } from '../../src/env/tool.ts';
import { SandboxError, type Sandbox } from '../../sandboxes/index.ts';
import { bash, clip, codingTools, create, find, formatExecResult, grep, numberLines, python, strReplace, submit, view } from '../../tools/index.ts';
import { testPools } from '../sandboxes/fixtures/pool.ts';

const newPool = testPools('tools');
let sandbox: Sandbox;

function ctx(overrides: Partial<ToolContext<unknown, any, Sandbox>> = {}): ToolContext<unknown, any, Sandbox> {
  const metrics: Record<string, number> = {};
  return {
    task: {}, sandbox, state: {}, signal: new AbortController().signal, turn: 3, toolCallId: 'call-1',
    emit: (name, value) => void (metrics[name] = (metrics[name] ?? 0) + value),
    ...overrides,
  };
}

function text(r: ToolResult): string {
  return typeof r === 'string' ? r : r.output;
}
function isError(r: ToolResult): boolean {
  return typeof r !== 'string' && r.isError === true;
}

beforeAll(async () => {
  sandbox = await newPool().acquire({ limits: { memoryMb: 128 } });
  await sandbox.exec('mkdir -p pkg/.hidden && printf "def add(a, b):\\n    return a - b\\n\\n\\ndef sub(a, b):\\n    return a - b\\n" > pkg/calc.py && touch pkg/__init__.py pkg/.hidden/x && printf "\\0\\1" > blob.bin');
});
afterAll(async () => sandbox?.destroy());

describe('bash and python', () => {
  it('the base image has the tools agents reach for: ps, which, diff, patch', async () => {
    const r = await sandbox.exec('ps -e >/dev/null && which python3 && printf "a\\n" > x && printf "b\\n" > y; diff x y > d.patch; patch x < d.patch && cat x');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/usr/bin/python3\npatching file x\nb\n');
  });

  it('shows stdout, labelled stderr and a non-zero exit code, counted as a non-zero exit, not a tool error', async () => {
    const metrics: Record<string, number> = {};
    const emit = (name: string, value: number): void => void (metrics[name] = (metrics[name] ?? 0) + value);
    const r = await bash.execute({ command: 'echo hi; echo oops >&2; exit 2' }, ctx({ emit }));
    expect(text(r)).toBe('hi\n[stderr]\noops\n[exit code 2]');
    expect(isError(r)).toBe(false);
    expect(metrics).toEqual({ bash_calls: 1, tool_nonzero_exits: 1 });
    expect(text(await bash.execute({ command: 'true' }, ctx()))).toBe('[no output]');
  });

  it('kills a command at the requested timeout and says so', async () => {
    const r = await bash.execute({ command: 'sleep 20', timeout: 0.3 }, ctx());
    expect(text(r)).toMatch(/\[command timed out after 0.3 s and was killed\]/);
    expect(isError(r)).toBe(true);
  });

  it('keeps the head and tail of long output and states the cut', async () => {
    const r = await bash.execute({ command: 'seq 1 20000' }, ctx());
    expect(text(r)).toMatch(/^1\n2\n/);
    expect(text(r)).toMatch(/\[\.\.\. \d+ characters omitted \.\.\.\]/);
    expect(text(r)).toMatch(/19999\n20000$/);
  });

  it('runs python from stdin; a traceback is a result with its exit code (a non-zero exit)', async () => {
    expect(text(await python.execute({ code: 'import sys\nprint(sum(range(10)), sys.version_info[0])' }, ctx()))).toBe('45 3');
    const metrics: Record<string, number> = {};
    const r = await python.execute({ code: 'raise ValueError("bad")' }, ctx({ emit: (name, value) => void (metrics[name] = (metrics[name] ?? 0) + value) }));
    expect(isError(r)).toBe(false);
    expect(metrics).toEqual({ tool_nonzero_exits: 1 });
    expect(text(r)).toMatch(/ValueError: bad[\s\S]*\[exit code 1\]/);
  });

  it('throws infrastructure failures (OOM) instead of showing them to the model', async () => {
    await expect(bash.execute({ command: `python3 -c "x = 'a' * (400 * 2**20)"` }, ctx())).rejects.toMatchObject({ reason: 'oom' });
  });

  it('fails loudly when the env gave no sandbox', async () => {
    await expect(bash.execute({ command: 'true' }, ctx({ sandbox: undefined }))).rejects.toMatchObject({ code: 'PHYSARUM_ENV', message: expect.stringContaining("'bash'") });
  });
});

describe('view, create, str_replace', () => {
  it('views a file with line numbers, a range, and a directory without hidden entries', async () => {
    expect(text(await view.execute({ path: 'pkg/calc.py' }, ctx()))).toBe('1\tdef add(a, b):\n2\t    return a - b\n3\t\n4\t\n5\tdef sub(a, b):\n6\t    return a - b');
    expect(text(await view.execute({ path: 'pkg/calc.py', view_range: [5, -1] }, ctx()))).toBe('5\tdef sub(a, b):\n6\t    return a - b');
    expect(text(await view.execute({ path: 'pkg' }, ctx()))).toBe('__init__.py\ncalc.py');
    expect(text(await view.execute({ path: 'pkg/__init__.py' }, ctx()))).toBe('pkg/__init__.py is empty');
  });

  it('answers bad paths and ranges with readable errors', async () => {
    const missing = await view.execute({ path: 'nope.py' }, ctx());
    expect(isError(missing)).toBe(true);
    expect(text(missing)).toBe('Error: nope.py does not exist');
    expect(text(await view.execute({ path: 'pkg/calc.py', view_range: [9, 10] }, ctx()))).toBe('Error: view_range starts at line 9, but pkg/calc.py has 6 lines');
    expect(text(await view.execute({ path: 'pkg/calc.py', view_range: [3, 2] }, ctx()))).toMatch(/ends before it starts/);
    expect(text(await view.execute({ path: 'blob.bin' }, ctx()))).toMatch(/binary file \(2 bytes\)/);
    expect(text(await view.execute({ path: 'pkg', view_range: [1, 2] }, ctx()))).toMatch(/is a directory/);
  });

  it('creates files with parents and reports overwrites', async () => {
    expect(text(await create.execute({ path: 'new/dir/a.txt', file_text: 'one\ntwo\n' }, ctx()))).toBe('Created new/dir/a.txt (2 lines)');
    expect(text(await create.execute({ path: 'new/dir/a.txt', file_text: 'x' }, ctx()))).toBe('Overwrote new/dir/a.txt (1 line)');
    expect(await sandbox.readFile('new/dir/a.txt')).toBe('x');
    expect(text(await create.execute({ path: 'pkg', file_text: 'x' }, ctx()))).toBe('Error: pkg is a directory, not a file');
  });

  it('replaces a unique string and shows the edited region', async () => {
    const r = await strReplace.execute({ path: 'pkg/calc.py', old_str: 'def add(a, b):\n    return a - b', new_str: 'def add(a, b):\n    return a + b' }, ctx());
    expect(text(r)).toMatch(/^Edited pkg\/calc.py\. The region now reads:\n1\tdef add\(a, b\):\n2\t {4}return a \+ b\n/);
    expect((await sandbox.exec('python3 -c "from pkg.calc import add, sub; print(add(2, 3), sub(2, 3))"')).stdout).toBe('5 -1\n');
  });

  it('refuses ambiguous and missing matches with what the model needs to retry', async () => {
    await sandbox.writeFile('dup.py', 'x = 1\ny = 2\nx = 1\n');
    const ambiguous = await strReplace.execute({ path: 'dup.py', old_str: 'x = 1', new_str: 'x = 3' }, ctx());
    expect(text(ambiguous)).toBe('Error: old_str occurs 2 times in dup.py (lines 1, 3); include more surrounding lines to make it unique');
    expect(await sandbox.readFile('dup.py')).toBe('x = 1\ny = 2\nx = 1\n');
    expect(text(await strReplace.execute({ path: 'dup.py', old_str: 'x=1', new_str: '' }, ctx()))).toMatch(/not found in dup.py; it must match exactly/);
    expect(text(await strReplace.execute({ path: 'gone.py', old_str: 'a', new_str: 'b' }, ctx()))).toBe('Error: gone.py does not exist');
  });
});

describe('find and grep', () => {
  it('finds files by glob, skipping .git, and says when nothing matches', async () => {
    await sandbox.exec('git init -q . && touch .git/config.py');
    expect(text(await find.execute({ pattern: '*.py', path: '.' }, ctx()))).toBe('./dup.py\n./pkg/__init__.py\n./pkg/calc.py');
    expect(text(await find.execute({ pattern: '*.rs', path: '.' }, ctx()))).toBe('No files named *.rs under .');
    expect(isError(await find.execute({ pattern: '*', path: 'no-dir' }, ctx()))).toBe(true);
  });

  it('greps with line numbers, filters by glob, and never runs the pattern as shell', async () => {
    expect(text(await grep.execute({ pattern: 'def (add|sub)', path: '.', include: '*.py', ignore_case: false }, ctx()))).toBe('./pkg/calc.py:1:def add(a, b):\n./pkg/calc.py:5:def sub(a, b):');
    expect(text(await grep.execute({ pattern: 'DEF ADD', path: 'pkg', ignore_case: true }, ctx()))).toBe('pkg/calc.py:1:def add(a, b):');
    expect(text(await grep.execute({ pattern: '$(touch pwned)', path: '.', ignore_case: false }, ctx()))).toMatch(/^No matches/);
    await expect(sandbox.readFile('pwned')).rejects.toMatchObject({ kind: 'not_found' });
    const bad = await grep.execute({ pattern: 'a(', path: '.', ignore_case: false }, ctx());
    expect(isError(bad)).toBe(true);
    expect(text(bad)).toMatch(/Unmatched \(/);
  });
});

describe('submit and the tool set', () => {
  it('records the submission on the state and ends the episode, once', async () => {
    const state: Record<string, unknown> = {};
    expect(await submit.execute({ answer: '42' }, ctx({ state }))).toEqual({ output: 'Submitted.', terminate: true });
    expect(state.submission).toEqual({ answer: '42', turn: 3 });
    expect(await submit.execute({}, ctx({ state }))).toMatchObject({ isError: true, terminate: true });
  });

  it('exposes JSON schemas under the names models know', () => {
    const specs = toolSpecs(codingTools());
    expect(specs.map((s) => s.function.name)).toEqual(['bash', 'python', 'view', 'create', 'str_replace', 'find', 'grep', 'submit']);
    const edit = specs.find((s) => s.function.name === 'str_replace')!.function.parameters as { required: string[] };
    expect(edit.required).toEqual(['path', 'old_str', 'new_str']);
  });

  it('rejects malformed input through the schema', () => {
    expect(strReplace.inputSchema.safeParse({ path: 'a', old_str: '', new_str: 'b' }).success).toBe(false);
    expect(view.inputSchema.safeParse({ path: 'a', view_range: [0, 2] }).success).toBe(false);
  });
});

describe('output formatting', () => {
  it('clips to head and tail within the budget', () => {
    expect(clip('abcdef', 10)).toBe('abcdef');
    const c = clip('x'.repeat(100) + 'END', 20);
    expect(c.startsWith('x'.repeat(8))).toBe(true);
    expect(c.endsWith('END')).toBe(true);
    expect(c).toContain('[... 83 characters omitted ...]');
  });

  it('numbers lines from any start, padding to the widest number', () => {
    expect(numberLines('a\nb\n', 9)).toBe(' 9\ta\n10\tb');
  });

  it('states truncation, signals and exit codes', () => {
    const base = { exitCode: 0, signal: null, stdout: 'o', stderr: '', truncated: false, timedOut: false, durationMs: 1 };
    expect(formatExecResult({ ...base, truncated: true })).toBe('o\n[output truncated at the sandbox output limit]');
    expect(formatExecResult({ ...base, exitCode: 137, signal: 'SIGKILL' })).toBe('o\n[killed by SIGKILL]');
    expect(SandboxError).toBeDefined();
  });
});
