import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { makeGroup } from './make-sample.ts';

const root = path.resolve(import.meta.dirname, '../..');
const child = path.join(import.meta.dirname, 'ingest-child.ts');

interface ChildRun {
  acked: number[];
  done: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Run the producer child; with `killAfter`, SIGKILL it as soon as that many acks have been read. */
function runChild(
  file: string,
  from: number,
  to: number,
  options: { killAfter?: number; producers?: number; tag?: string; writer?: 'inline' | 'worker' } = {},
): Promise<ChildRun> {
  // node --import tsx, not the tsx binary: tsx runs the script in a child process, and SIGKILL
  // of the wrapper would leave the real producer running.
  const proc = spawn(process.execPath, ['--import', 'tsx', child, file, String(from), String(to), String(options.producers ?? 4), options.tag ?? 'child', options.writer ?? 'inline'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const run: ChildRun = { acked: [], done: false, code: null, signal: null };
  let pending = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line === 'done') run.done = true;
      const m = /^ack (\d+) /.exec(line);
      if (m) run.acked.push(Number(m[1]));
      if (options.killAfter !== undefined && run.acked.length >= options.killAfter) proc.kill('SIGKILL');
    }
  });
  return new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    }),
  );
}

function inspect(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }),
      groups: db.prepare('SELECT group_index AS g, size FROM groups ORDER BY group_index').all() as Array<{ g: number; size: number }>,
      samples: db.prepare('SELECT COUNT(*) FROM samples').pluck().get() as number,
      perGroup: db.prepare('SELECT g.group_index AS g, COUNT(s.id) AS n FROM groups g JOIN samples s ON s.group_id = g.id GROUP BY g.id').all() as Array<{ g: number; n: number }>,
    };
  } finally {
    db.close();
  }
}

describe('crash safety', () => {
  it.each(['inline', 'worker'] as const)('%s writer: after SIGKILL mid-ingest, no acknowledged sample is lost and a full retry duplicates nothing', async (writer) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-crash-')), 'buffer.sqlite');
    const total = 1000; // far more than are acknowledged before the kill, so it dies mid-ingest
    const killed = await runChild(file, 0, total, { killAfter: 100, writer });
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.done).toBe(false);
    expect(killed.acked.length).toBeGreaterThanOrEqual(100);

    const afterCrash = inspect(file);
    expect(afterCrash.integrity).toBe('ok');
    const stored = new Set(afterCrash.groups.map((g) => g.g));
    const lost = killed.acked.filter((g) => !stored.has(g));
    expect(lost).toEqual([]);
    expect(afterCrash.groups.length).toBeLessThan(total); // it really died mid-ingest
    // Groups are atomic: every stored group has all four samples.
    expect(afterCrash.perGroup.every((g) => g.n === 4)).toBe(true);
    expect(afterCrash.samples).toBe(afterCrash.groups.length * 4);

    // The producer retries everything (it cannot know which unacknowledged groups landed).
    const retry = await runChild(file, 0, total, { writer });
    expect(retry.done).toBe(true);
    const final = inspect(file);
    expect(final.groups.map((g) => g.g)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(final.samples).toBe(total * 4);
    const buffer = DataBuffer.open(file);
    try {
      expect(buffer.counters()).toMatchObject({ duplicate_groups: afterCrash.groups.length, ingested_samples: total * 4 });
      expect(buffer.cursor()).toMatchObject({ offset: expect.any(Number) });
    } finally {
      await buffer.close();
    }
  });
});

describe('concurrent producers', () => {
  it('in-process producers and two other processes share one buffer: every group once, intact', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-producers-')), 'buffer.sqlite');
    const buffer = DataBuffer.open(file);
    try {
      const children = [runChild(file, 1000, 1100, { tag: 'a', writer: 'worker' }), runChild(file, 2000, 2100, { tag: 'b' })];
      // Eight in-process producers; the last two retry groups others already sent.
      const local = Array.from({ length: 8 }, async (_, p) => {
        const acks = [];
        for (let k = 0; k < 25; k++) {
          const g = p < 6 ? p * 25 + k : (p - 6) * 25 + k;
          acks.push(await buffer.ingest(makeGroup(g, [1, 0, 1], g * 4)));
        }
        return acks;
      });
      const localAcks = (await Promise.all(local)).flat();
      const runs = await Promise.all(children);
      expect(runs.map((r) => r.done)).toEqual([true, true]);
      expect(localAcks.filter((a) => a.duplicate)).toHaveLength(50);

      const groups = buffer.groups();
      const indexes = groups.map((g) => g.groupIndex).sort((a, b) => a - b);
      const want = [...Array.from({ length: 150 }, (_, i) => i), ...Array.from({ length: 100 }, (_, i) => 1000 + i), ...Array.from({ length: 100 }, (_, i) => 2000 + i)];
      expect(indexes).toEqual(want);
      for (const g of groups) {
        expect(g.samples.map((s) => s.sample.groupIndex).every((x) => x === g.groupIndex)).toBe(true);
        expect(g.samples).toHaveLength(g.groupIndex >= 1000 ? 4 : 3);
      }
      expect(inspect(file).integrity).toBe('ok');
    } finally {
      await buffer.close();
    }
  });
});

describe('concurrent consumers', () => {
  it('two processes taking batches from one file never get the same group', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'physarum-consumers-')), 'buffer.sqlite');
    const buffer = DataBuffer.open(file);
    for (let g = 0; g < 80; g++) await buffer.ingest(makeGroup(g, [1, 0], g * 4));
    await buffer.close();
    const taker = (firstStep: number) =>
      new Promise<{ took: number[]; done: boolean }>((resolve) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'take-child.ts'), file, String(firstStep)], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
        proc.on('exit', () => resolve({ took: [...out.matchAll(/^took (\d+)$/gm)].map((m) => Number(m[1])), done: out.includes('done') }));
      });
    const [a, b] = await Promise.all([taker(0), taker(10_000)]);
    expect([a.done, b.done]).toEqual([true, true]);
    const all = [...a.took, ...b.took].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
  });
});

