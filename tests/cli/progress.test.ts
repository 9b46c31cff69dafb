// The progress line: redrawn in place on a (fake) TTY, throttled, cut to the terminal width;
// plain whole lines elsewhere (per tenth, or after a quiet spell), never a carriage return.
import { describe, expect, it } from 'vitest';
import { Progress, withProgress, type ProgressStream } from '../../src/protocol/progress.ts';
import { progressReporter } from '../../src/cli/progress.ts';
import type { Sample } from '../../src/protocol/sample.ts';

function stream(isTTY: boolean, columns?: number): ProgressStream & { out: string[] } {
  const out: string[] = [];
  return { out, isTTY, ...(columns ? { columns } : {}), write: (text: string) => out.push(text) };
}
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('Progress on a TTY', () => {
  it('redraws one line in place, at most every redrawMs, and ends it with a newline', () => {
    const s = stream(true);
    const c = clock();
    const p = new Progress(s, 'build', { total: 10, unit: 'steps', now: c.now });
    p.tick();
    p.tick(); // within 100 ms of the last draw: not drawn
    c.advance(150);
    p.tick(1, 'half way');
    p.done(undefined, 10);
    expect(s.out).toHaveLength(4);
    expect(s.out.slice(0, 3).every((w) => w.startsWith('\r\x1b[2K'))).toBe(true);
    expect(s.out[0]).toContain('1/10 steps (10%)');
    expect(s.out[1]).toContain('3/10 steps (30%) · half way');
    // eslint-disable-next-line no-control-regex
    expect(s.out[2]).toMatch(/^\r\x1b\[2K\[#{24}\] build: 10\/10 steps \(100%\) · half way · 0 s$/);
    expect(s.out[3]).toBe('\n');
    p.tick(); // after done: nothing
    expect(s.out).toHaveLength(4);
  });

  it('prints a log line above the status line and redraws it; cuts the line to the width', () => {
    const s = stream(true, 30);
    const p = new Progress(s, 'rollout', { total: 4, now: clock().now });
    p.update(1, 'a very long detail that does not fit in thirty columns');
    p.log('step 1/4 done');
    expect(s.out[0]!.length).toBeLessThanOrEqual('\r\x1b[2K'.length + 29);
    expect(s.out[0]!.endsWith('…')).toBe(true);
    expect(s.out.slice(1)).toEqual(['\r\x1b[2K', 'step 1/4 done\n', s.out[0]]);
  });
});

describe('Progress elsewhere (not a TTY)', () => {
  it('writes a whole line per tenth of the total and a final one, never \\r or escapes', () => {
    const s = stream(false);
    const p = new Progress(s, 'rollout', { total: 100, unit: 'episodes', now: clock().now });
    for (let i = 1; i < 100; i++) p.update(i);
    p.done('all in', 100);
    expect(s.out).toHaveLength(11);
    expect(s.out.map((l) => /\((\d+)%\)/.exec(l)![1])).toEqual(['1', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100']);
    for (const line of s.out) {
      expect(line.endsWith('\n')).toBe(true);
      // eslint-disable-next-line no-control-regex
      expect(line.slice(0, -1)).not.toMatch(/[\r\n\x1b]/);
    }
    expect(s.out.at(-1)).toBe('rollout: 100/100 episodes (100%) · all in · 0 s\n');
  });

  it('work of unknown size: a line only after plainEverySeconds of quiet, and the final line', () => {
    const s = stream(false);
    const c = clock();
    const p = new Progress(s, 'base image', { now: c.now, plainEverySeconds: 10 });
    p.status('I: Retrieving bash');
    c.advance(4_000);
    p.status('I: Validating bash');
    expect(s.out).toEqual([]);
    c.advance(6_500);
    p.status('I: Unpacking bash');
    p.status('I: Configuring bash');
    c.advance(65_000);
    p.heartbeat();
    p.log('a line of its own');
    c.advance(1_000);
    p.done('physarum/base:abc');
    expect(s.out).toEqual([
      'base image: I: Unpacking bash · 11 s\n',
      'base image: I: Configuring bash · 1 min 15 s\n',
      'a line of its own\n',
      'base image: physarum/base:abc · 1 min 16 s\n',
    ]);
  });

  it('disabled: no progress at all, but log lines are still the output', () => {
    const s = stream(true);
    const p = new Progress(s, 'x', { total: 2, enabled: false });
    p.tick();
    p.log('step 1 done');
    p.done();
    expect(s.out).toEqual(['step 1 done\n']);
  });

  it('log can send its line elsewhere (stdout) while the status line stays on stderr', () => {
    const s = stream(true);
    const stdout: string[] = [];
    const p = new Progress(s, 'train', { total: 2, now: clock().now });
    p.update(1);
    p.log('step 1/2 ...', (t) => stdout.push(t));
    p.clear();
    expect(stdout).toEqual(['step 1/2 ...\n']);
    expect(s.out.slice(1)).toEqual(['\r\x1b[2K', s.out[0], '\r\x1b[2K']);
  });
});

describe('withProgress and the rollout reporter', () => {
  it('ends with the result or the failure', async () => {
    const s = stream(false);
    expect(await withProgress(s, 'model init', async (p) => (p.status('writing'), 42), { doneText: (n) => `wrote ${n}` })).toBe(42);
    await expect(withProgress(s, 'validate', async () => Promise.reject(new Error('bad row 3\nmore')))).rejects.toThrow('bad row 3');
    expect(s.out).toEqual([expect.stringMatching(/^model init: wrote 42 · \d+ s\n$/), expect.stringMatching(/^validate: failed: bad row 3 · \d+ s\n$/)]);
  });

  it('rollout: counts episodes and the mean reward; the last episode gives the final line', () => {
    const s = stream(false);
    const report = progressReporter(s, 3);
    for (const reward of [1, 0, null]) report([{ reward } as Sample]);
    expect(s.out[0]).toMatch(/^rollout: 1\/3 episodes \(33%\) · reward 1\.000 · /);
    expect(s.out.at(-1)).toMatch(/^rollout: 3\/3 episodes \(100%\) · reward 0\.500 · /);
  });

  it("rollout: a pool's warnings are lines, its image-build chatter only the status text", () => {
    const s = stream(true);
    const report = progressReporter(s, 2);
    report.poolLog('  I: Retrieving libc6 ');
    report.poolLog('sandbox pool: create failed (timeout); retrying with a fresh container');
    expect(s.out[0]).toMatch(/rollout: 0\/2 episodes \(0%\) · I: Retrieving libc6 · /);
    expect(s.out).toContain('sandbox pool: create failed (timeout); retrying with a fresh container\n');
  });
});
