// Following a run's files: points keep only charted numbers, a file started over is read again
// from the top (and the page told to drop what it had), a missing file is no error.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPaths } from '../../src/driver/run-dir.ts';
import { RunWatch, toPoint } from '../../src/view/dashboard/run-watch.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dash-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RunWatch', () => {
  it('keeps charted numbers at 4 significant digits and skips lines without a step', () => {
    expect(toPoint({ step: 3, mode: 'sync', reward_mean: 0.123456, 'reward/correct': 1, samples: 64, 'time/train': 2.5 })).toEqual({ step: 3, reward_mean: 0.1235, 'reward/correct': 1, 'time/train': 2.5 });
    expect(toPoint({ event: 'eval', heldout_reward: 1 })).toBeUndefined();
  });

  it('reads nothing before the run writes, then new lines, then everything again after a restart', () => {
    const watch = new RunWatch(dir);
    expect(watch.poll()).toBeUndefined();
    const metrics = runPaths(dir).metrics;
    appendFileSync(metrics, '{"step":0,"reward_mean":1}\n{"step":1,"reward_mean":2}\n');
    expect(watch.poll()).toEqual({ reset: false, metrics: [{ step: 0, reward_mean: 1 }, { step: 1, reward_mean: 2 }], evals: [] });
    expect(watch.poll()).toBeUndefined();
    writeFileSync(metrics, '{"step":0,"reward_mean":5}\n'); // `train --fresh` started the file over
    expect(watch.poll()).toEqual({ reset: true, metrics: [{ step: 0, reward_mean: 5 }], evals: [] });
    expect(watch.metrics).toEqual([{ step: 0, reward_mean: 5 }]);
  });

  it('reports a malformed line by file and line number and keeps going', () => {
    const other = mkdtempSync(path.join(dir, 'bad-'));
    const problems: string[] = [];
    const watch = new RunWatch(other, (p) => problems.push(p));
    appendFileSync(runPaths(other).evals, '{"step":1,"heldout_reward":0.5}\n[1,2]\nnot json\n{"step":3,"heldout_reward":0.7}\n');
    expect(watch.poll()!.evals.map((e) => e.step)).toEqual([1, 3]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/eval\.jsonl:2: skipped a malformed line \(not a JSON object\)/);
    expect(problems[1]).toMatch(/eval\.jsonl:3: skipped a malformed line/);
  });
});
