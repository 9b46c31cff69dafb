// A coding task made the way the contract (envs/coding's dataset) says, from the clean package in
// fixtures/repos/gauge: the bug flips `return ceiling_value` to `return floor_value`; the patch
// is base → fixed, the test patch creates tests/ from /dev/null, base_commit is what git gives the
// base tree committed with BASE_COMMIT_RECIPE. Built with the host's git, deterministically.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_COMMIT_RECIPE, SweBenchInstance } from '../../../envs/coding/dataset.ts';

export const FIXTURE_REPOS = path.join(import.meta.dirname, 'fixtures', 'repos');
/** The gold fix's line: in the patch, nowhere in the base tree. */
export const GOLD_LINE = '        return ceiling_value';
export const BUGGY_LINE = '        return floor_value\n    return reading';
export const FAILING_TEST = 'tests/test_readings.py::test_clamp_reading_above_ceiling';
const PASSING_TESTS = ['inside_scale', 'below_floor'].map((t) => `tests/test_readings.py::test_clamp_reading_${t}`)
  .concat(['tests/test_readings.py::test_average_reading', 'tests/test_readings.py::test_average_reading_empty']);

const git = (cwd: string, args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8' });

export function gaugeInstance(): SweBenchInstance {
  const dir = mkdtempSync(path.join(tmpdir(), 'coding-fixture-'));
  try {
    cpSync(path.join(FIXTURE_REPOS, 'gauge'), dir, { recursive: true, filter: (src) => !src.includes('__pycache__') });
    const tests = path.join(dir, 'tests');
    const keptTests = mkdtempSync(path.join(tmpdir(), 'coding-fixture-tests-'));
    cpSync(tests, keptTests, { recursive: true });
    rmSync(tests, { recursive: true });
    const module = path.join(dir, 'gauge', 'readings.py');
    const fixed = readFileSync(module, 'utf8');
    writeFileSync(module, fixed.replace(`${GOLD_LINE}\n    return reading`, BUGGY_LINE));
    execFileSync('bash', ['-c', BASE_COMMIT_RECIPE], { cwd: dir });
    const baseCommit = git(dir, ['rev-parse', 'HEAD']).trim();
    writeFileSync(module, fixed);
    const patch = git(dir, ['diff', '--no-color']);
    git(dir, ['checkout', '-q', '--', '.']);
    cpSync(keptTests, tests, { recursive: true });
    rmSync(keptTests, { recursive: true });
    git(dir, ['add', 'tests']);
    const testPatch = git(dir, ['diff', '--cached', '--no-color', '--', 'tests']);
    return SweBenchInstance.parse({
      instance_id: 'physarum__gauge-1',
      repo: 'physarum/gauge',
      base_commit: baseCommit,
      patch,
      test_patch: testPatch,
      problem_statement: 'clamp_reading(15, 0, 10) returns 0, but a reading above the ceiling should read as the ceiling (10).',
      FAIL_TO_PASS: JSON.stringify([FAILING_TEST]),
      PASS_TO_PASS: PASSING_TESTS,
      environment_setup_commit: baseCommit,
      version: '1.0',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
