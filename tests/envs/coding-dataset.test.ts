// envs/coding's dataset seen from TypeScript: every committed task loads, its base tree (the repo with
// the gold patch reversed) commits to base_commit by the recipe, the patch leads back to the repo and
// the test_patch recreates its tests; on a seeded sample the base fails exactly FAIL_TO_PASS and the
// fix passes everything; broken rows fail with file:line and the field.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/rollout/seeded-shuffle.ts';
import {
  BASE_COMMIT_RECIPE,
  SweBenchInstance,
  applyUnifiedDiff,
  baseTree,
  diffPaths,
  readInstances,
  testFiles,
  type Tree,
} from '../../envs/coding/dataset.ts';

const root = path.resolve(import.meta.dirname, '../..');
const reposDir = path.join(root, 'envs/coding/repos');
const dataFile = path.join(root, 'envs/coding/data/tasks.jsonl');
const python = path.join(root, '.venv/bin/python');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'physarum-coding-dataset-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const FIELDS = ['instance_id', 'repo', 'base_commit', 'patch', 'test_patch', 'problem_statement', 'FAIL_TO_PASS', 'PASS_TO_PASS', 'environment_setup_commit', 'version'];
const instances = readInstances(dataFile);

function repoFiles(name: string, tests: boolean): Tree {
  const dir = path.join(reposDir, name);
  const tree: Tree = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(entry.parentPath, entry.name));
    if (!entry.isFile() || /__pycache__|\.pytest_cache|\.pyc$/.test(rel)) continue;
    if (rel.startsWith('tests/') === tests) tree[rel] = readFileSync(path.join(dir, rel), 'utf8');
  }
  return tree;
}

function writeTree(dir: string, tree: Tree): void {
  for (const [rel, text] of Object.entries(tree)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
}

let dirs = 0;
function freshDir(): string {
  const dir = path.join(scratch, String(dirs++));
  mkdirSync(dir);
  return dir;
}

// Child processes run asynchronously: a blocked worker cannot answer vitest's RPC.
const run = promisify(execFile);

/** Runs the repo's tests in dir; node id -> passed. */
async function pytestOutcomes(dir: string): Promise<Map<string, boolean>> {
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
  const args = ['-m', 'pytest', '-q', '-rA', '-p', 'no:cacheprovider', 'tests'];
  // pytest exits 1 when a test fails; its report is on stdout either way.
  const stdout = await run(python, args, { cwd: dir, env }).then(
    (done) => done.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  const outcomes = new Map<string, boolean>();
  for (const line of stdout.split('\n')) {
    const match = /^(PASSED|FAILED|ERROR) (tests\/\S+)/.exec(line);
    if (match) outcomes.set(match[2]!, match[1] === 'PASSED');
  }
  return outcomes;
}

describe('envs/coding dataset', () => {
  it('has at least 100 tasks, each row with exactly the SWE-bench fields', () => {
    expect(instances.length).toBeGreaterThanOrEqual(100);
    for (const line of readFileSync(dataFile, 'utf8').trim().split('\n')) expect(Object.keys(JSON.parse(line))).toEqual(FIELDS);
    expect(new Set(instances.map((i) => i.instance_id)).size).toBe(instances.length);
  });

  it('builds every base tree; patch leads back to the repo and test_patch recreates its tests', () => {
    for (const instance of instances) {
      const name = instance.repo.replace('physarum/', '');
      const base = baseTree(instance, reposDir);
      expect(base, instance.instance_id).not.toEqual(repoFiles(name, false));
      expect(applyUnifiedDiff(base, instance.patch), instance.instance_id).toEqual(repoFiles(name, false));
      expect(testFiles(instance), instance.instance_id).toEqual(repoFiles(name, true));
      expect(diffPaths(instance.test_patch).every((p) => p.startsWith('tests/'))).toBe(true);
    }
  });

  it('commits the base tree to base_commit with BASE_COMMIT_RECIPE (seeded sample of 20)', async () => {
    const rand = mulberry32(11);
    const sample = Array.from({ length: 20 }, () => instances[Math.floor(rand() * instances.length)]!);
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    for (const instance of sample) {
      const dir = freshDir();
      writeTree(dir, baseTree(instance, reposDir));
      await run('bash', ['-c', BASE_COMMIT_RECIPE], { cwd: dir, env });
      const head = (await run('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' })).stdout.trim();
      expect(head, instance.instance_id).toBe(instance.base_commit);
    }
  });

  it.skipIf(!existsSync(python))('on a seeded sample, base + tests fails exactly FAIL_TO_PASS and base + patch + tests passes all', async () => {
    const rand = mulberry32(5);
    const sample = Array.from({ length: 4 }, () => instances[Math.floor(rand() * instances.length)]!);
    for (const instance of sample) {
      const base = baseTree(instance, reposDir);
      const before = freshDir();
      writeTree(before, { ...base, ...testFiles(instance) });
      const failed = [...(await pytestOutcomes(before))].filter(([, passed]) => !passed).map(([id]) => id);
      expect(failed.sort(), instance.instance_id).toEqual([...instance.FAIL_TO_PASS].sort());
      const after = freshDir();
      writeTree(after, { ...applyUnifiedDiff(base, instance.patch), ...testFiles(instance) });
      const outcomes = await pytestOutcomes(after);
      expect([...outcomes.keys()].sort()).toEqual([...instance.FAIL_TO_PASS, ...instance.PASS_TO_PASS].sort());
      expect([...outcomes.values()].every(Boolean), instance.instance_id).toBe(true);
    }
  });
});

describe('readInstances on broken rows', () => {
  const good = JSON.stringify(instances[0]);
  function rowsFile(...rows: string[]): string {
    const file = path.join(freshDir(), 'tasks.jsonl');
    writeFileSync(file, rows.join('\n') + '\n');
    return file;
  }
  function errorOf(file: string): { code?: string; message: string } {
    try {
      readInstances(file);
    } catch (error) {
      return error as { code?: string; message: string };
    }
    throw new Error('readInstances accepted a broken file');
  }

  it('names file:line for a row that is not JSON', () => {
    const file = rowsFile(good, '{"instance_id": ');
    const error = errorOf(file);
    expect(error.code).toBe('PHYSARUM_INVALID_INPUT');
    expect(error.message).toContain(`${file}:2: not a JSON object`);
  });

  it('names the missing field', () => {
    const { problem_statement: _, ...row } = instances[0]!;
    expect(errorOf(rowsFile(JSON.stringify(row))).message).toMatch(/tasks\.jsonl:1: field problem_statement:/);
  });

  it('accepts FAIL_TO_PASS as a JSON-encoded string (SWE-bench files) and rejects a string that is not one', () => {
    const encoded = { ...instances[0]!, FAIL_TO_PASS: JSON.stringify(instances[0]!.FAIL_TO_PASS), PASS_TO_PASS: '[]' };
    const [loaded] = readInstances(rowsFile(JSON.stringify(encoded)));
    expect(loaded!.FAIL_TO_PASS).toEqual(instances[0]!.FAIL_TO_PASS);
    expect(loaded!.PASS_TO_PASS).toEqual([]);
    const broken = { ...instances[0]!, FAIL_TO_PASS: 'tests/test_a.py::test_b' };
    expect(errorOf(rowsFile(JSON.stringify(broken))).message).toMatch(/:1: field FAIL_TO_PASS: must be a JSON array of test ids/);
  });

  it('rejects a bad commit, an empty FAIL_TO_PASS and a repeated instance_id', () => {
    expect(errorOf(rowsFile(JSON.stringify({ ...instances[0]!, base_commit: 'main' }))).message).toMatch(/field base_commit/);
    expect(errorOf(rowsFile(JSON.stringify({ ...instances[0]!, FAIL_TO_PASS: [] }))).message).toMatch(/field FAIL_TO_PASS/);
    expect(errorOf(rowsFile(good, '', good)).message).toMatch(/:3: instance_id .* repeats line 1/);
  });

  it('keeps fields it does not know and reads a numeric version as text', () => {
    const row = SweBenchInstance.parse({ ...instances[0]!, version: 3.1, image_name: 'me/img:1' });
    expect(row.version).toBe('3.1');
    expect((row as Record<string, unknown>)['image_name']).toBe('me/img:1');
  });
});

describe('applyUnifiedDiff', () => {
  const diff = [
    'diff --git a/m.py b/m.py',
    '--- a/m.py',
    '+++ b/m.py',
    '@@ -1,3 +1,3 @@ def f():',
    ' a',
    '-b',
    '+B',
    ' c',
    'diff --git a/new.txt b/new.txt',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/new.txt',
    '@@ -0,0 +1,2 @@',
    '+x',
    '+y',
    '\\ No newline at end of file',
    '',
  ].join('\n');

  it('applies forward and reverses exactly', () => {
    const after = applyUnifiedDiff({ 'm.py': 'a\nb\nc\n' }, diff);
    expect(after).toEqual({ 'm.py': 'a\nB\nc\n', 'new.txt': 'x\ny' });
    expect(applyUnifiedDiff(after, diff, { reverse: true })).toEqual({ 'm.py': 'a\nb\nc\n' });
    expect(diffPaths(diff)).toEqual(['m.py', 'new.txt']);
  });

  it('refuses a hunk that does not match, naming the file and line', () => {
    expect(() => applyUnifiedDiff({ 'm.py': 'a\nX\nc\n' }, diff, { label: 'patch of t1' })).toThrow(/patch of t1: hunk 1 of m\.py does not match the file at line 1/);
    expect(() => applyUnifiedDiff({}, diff)).toThrow(/patches m\.py, which is not in the tree/);
  });
});
