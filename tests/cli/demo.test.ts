// `physarum demo` end to end, as `npm run demo` runs it (smaller): the three stages print, the
// embedded-engine samples carry engine log-probs on their sampled tokens, and the buffer holds them.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Sample } from '../../src/protocol/sample.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const out = mkdtempSync(path.join(tmpdir(), 'physarum-demo-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('physarum demo', () => {
  it('validates countdown, rolls out on the embedded engine, stores and batches', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'bin/physarum.js'), 'demo', '--tasks', '2', '--n-samples', '2', '--out', out, '--no-train'],
      { cwd: root, encoding: 'utf8', timeout: 240_000 },
    );
    expect(stdout).toMatch(/\[1\/3\] validate/);
    expect(stdout).toMatch(/\[2\/3\] rollout: countdown, 2 tasks x 2 samples, embedded llama\.cpp engine/);
    expect(stdout).toMatch(/trainer batch: \d+ bytes/);

    const read = (name: string) => readFileSync(path.join(out, name), 'utf8').trim().split('\n').map((l) => Sample.parse(JSON.parse(l)));
    const scripted = read('scripted-samples.jsonl');
    // The scripted policy answers most tasks right and some wrong: the rubric must tell them apart.
    expect(scripted.some((s) => s.reward === 1)).toBe(true);
    expect(scripted.some((s) => s.reward === 0)).toBe(true);

    const embedded = read('embedded-samples.jsonl');
    expect(embedded).toHaveLength(4);
    for (const s of embedded) {
      const sampled = s.rolloutLogProbs.filter((_, i) => s.lossMask[i] === 1);
      expect(sampled.length).toBeGreaterThan(0);
      expect(sampled.every((lp) => Number.isFinite(lp) && lp < 0)).toBe(true);
    }

    // The trace page of the embedded samples: one card each, every sampled token's log-prob on it.
    expect(stdout).toContain(`trace, token by token: ${path.join(out, 'trace.html')}`);
    const trace = readFileSync(path.join(out, 'trace.html'), 'utf8');
    expect(trace.match(/<section class="card"/g)).toHaveLength(4);
    const loggedTokens = trace.match(/ data-m=1 data-l=/g) ?? [];
    expect(loggedTokens.length).toBe(embedded.reduce((n, s) => n + s.lossMask.filter((m) => m === 1).length, 0));

    const db = new Database(path.join(out, 'buffer.sqlite'), { readonly: true });
    try {
      const { n } = db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number };
      expect(n).toBe(4);
    } finally {
      db.close();
    }
  });
});
