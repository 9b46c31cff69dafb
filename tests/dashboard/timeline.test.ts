// The driver's timeline.json against the trace-event format (JSON array form, whose closing `]`
// is optional): every event has the fields its phase type requires, each step's phase spans lie
// inside its step span end to end, steps follow each other, and a resumed run appends.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stepTraceEvents, TIMELINE_FILE, timelineWriter } from '../../src/driver/timeline.ts';
import { recordRun } from './recorded-run.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dash-timeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The Trace Event Format's fields (Google's "Trace Event Format" document).
const Common = { name: z.string().min(1), cat: z.string().optional(), ts: z.number().nonnegative(), pid: z.number().int(), tid: z.number().int(), args: z.record(z.string(), z.unknown()).optional() };
const TraceEvent = z.discriminatedUnion('ph', [
  z.object({ ...Common, ph: z.literal('X'), dur: z.number().nonnegative() }).strict(),
  z.object({ ...Common, ph: z.literal('M'), name: z.enum(['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index']), args: z.object({ name: z.string() }).passthrough() }).strict(),
]);

/** Reads the array form as a viewer does: a missing `]` (and a comma before it) is allowed. */
function readTrace(file: string): z.infer<typeof TraceEvent>[] {
  const text = readFileSync(file, 'utf8').trimEnd();
  expect(text.startsWith('[')).toBe(true);
  const closed = text.endsWith(']') ? text : `${text.replace(/,$/, '')}]`;
  return z.array(TraceEvent).parse(JSON.parse(closed));
}

describe('timeline.json', () => {
  it('holds a step span per metrics line with its phases inside, in the trace-event format', async () => {
    const run = await recordRun(path.join(dir, 'run'), 3);
    const file = path.join(dir, 'run', TIMELINE_FILE);
    const write = timelineWriter(file, { resume: false });
    const ends = [1_700_000_010_000, 1_700_000_014_000, 1_700_000_018_000];
    run.metrics.forEach((line, i) => write(line, ends[i]));
    const events = readTrace(file);
    expect(events.filter((e) => e.ph === 'M').map((e) => e.args!.name)).toEqual(['physarum train', 'step', 'phases']);
    const steps = events.filter((e) => e.ph === 'X' && e.cat === 'step');
    expect(steps.map((e) => e.name)).toEqual(['step 0', 'step 1', 'step 2']);
    for (const [i, step] of steps.entries()) {
      if (step.ph !== 'X') throw new Error('not a span');
      expect(step.ts + step.dur).toBe(ends[i]! * 1000);
      const phases = events.filter((e) => e.ph === 'X' && e.cat === 'phase' && e.args!.step === i);
      // recordRun's times: rollout 1, take 0.01, train 2, export 0.3, sync 0.2 (eval and save 0: no span).
      expect(phases.map((p) => p.name)).toEqual(['rollout', 'take', 'train', 'export', 'sync']);
      let at = step.ts;
      for (const p of phases) {
        if (p.ph !== 'X') throw new Error('not a span');
        expect(p.ts).toBe(at);
        at += p.dur;
      }
      expect(at).toBeLessThanOrEqual(step.ts + step.dur);
      if (i > 0) expect(step.ts).toBeGreaterThanOrEqual((steps[i - 1] as { ts: number; dur: number }).ts + (steps[i - 1] as { dur: number }).dur);
    }
  });

  it('appends on resume and starts over otherwise', () => {
    const file = path.join(dir, 'resume.json');
    const line = { step: 0, mode: 'sft', weight_version: 1, 'time/train': 2, 'time/step': 2.5 };
    timelineWriter(file, { resume: false })(line, 5_000);
    timelineWriter(file, { resume: true })({ ...line, step: 1 }, 9_000);
    expect(readTrace(file).filter((e) => e.cat === 'step').map((e) => e.name)).toEqual(['step 0', 'step 1']);
    timelineWriter(file, { resume: false })({ ...line, step: 7 }, 9_000);
    expect(readTrace(file).filter((e) => e.cat === 'step').map((e) => e.name)).toEqual(['step 7']);
  });

  it('makes a step as long as its phases when time/step is missing, and no span for a zero phase', () => {
    const events = stepTraceEvents({ step: 4, 'time/train': 1.5, 'time/export': 0 }, 10_000);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ name: 'step 4', ts: 10_000_000 - 1_500_000, dur: 1_500_000 });
    expect(events[1]).toMatchObject({ name: 'train', ts: 10_000_000 - 1_500_000, dur: 1_500_000 });
  });
});
