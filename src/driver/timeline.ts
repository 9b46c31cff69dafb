/**
 * The run's timeline in Chrome trace-event format (opens in Perfetto or chrome://tracing):
 * <run-dir>/timeline.json gets, per step, the step as one span and its phases (waiting for the
 * rollout, take, train, export, weight-sync pause, eval, save) as spans under it, laid end to end
 * in the order the loop runs them and ending when the metrics line is written. With episode spans
 * on, each finished episode adds its spans (env/episode-trace.ts) under a second process,
 * "rollout", one row per lane (the lowest row free when the episode started): the episode, and
 * inside it its model turns, env steps, tool calls, sandbox calls and scoring. The file is the
 * format's JSON array form, appended one event per line: the closing `]` is optional in that form,
 * so a killed run leaves a file the viewers still open.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import type { EpisodeSpan } from '../env/episode-trace.ts';

export const TIMELINE_FILE = 'timeline.json';

/** In loop order (see loop.ts): a phase starts when the one before it ends. */
const PHASES = ['rollout', 'take', 'train', 'export', 'sync', 'eval', 'save'] as const;
const PID = 1;
const STEP_TID = 1;
const PHASE_TID = 2;
const ROLLOUT_PID = 2;

export interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M';
  /** Microseconds. */
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

export function timelineMetadata(): TraceEvent[] {
  return [
    { name: 'process_name', ph: 'M', ts: 0, pid: PID, tid: STEP_TID, args: { name: 'physarum train' } },
    { name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: STEP_TID, args: { name: 'step' } },
    { name: 'thread_name', ph: 'M', ts: 0, pid: PID, tid: PHASE_TID, args: { name: 'phases' } },
  ];
}

const seconds = (line: Record<string, number | string>, key: string): number => {
  const v = line[key];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
};

/** One step's spans from its metrics line (`time/*` in seconds), the step ending at `endMs` (epoch ms). */
export function stepTraceEvents(line: Record<string, number | string>, endMs: number): TraceEvent[] {
  const phases = PHASES.map((name) => ({ name, dur: seconds(line, `time/${name}`) * 1e6 }));
  const total = Math.max(seconds(line, 'time/step') * 1e6, phases.reduce((a, p) => a + p.dur, 0));
  const start = Math.round(endMs * 1000 - total);
  const step = Number(line.step);
  const events: TraceEvent[] = [
    { name: `step ${step}`, cat: 'step', ph: 'X', ts: start, dur: Math.round(total), pid: PID, tid: STEP_TID, args: { step, mode: line.mode, weight_version: line.weight_version } },
  ];
  let at = start;
  for (const p of phases) {
    if (p.dur === 0) continue;
    events.push({ name: p.name, cat: 'phase', ph: 'X', ts: at, dur: Math.round(p.dur), pid: PID, tid: PHASE_TID, args: { step } });
    at += Math.round(p.dur);
  }
  return events;
}

const micros = (ms: number): number => Math.round(ms * 1000);

/**
 * One episode's spans on row `lane` of the rollout process. Start and end are each rounded to a
 * microsecond, so a span inside another in time stays inside it in the file (viewers nest by that).
 */
export function episodeTraceEvents(spans: readonly EpisodeSpan[], where: { step: number; lane: number }): TraceEvent[] {
  const tid = where.lane + 1;
  return spans.map((span) => {
    const ts = micros(span.startMs);
    const isEpisode = span.cat === 'episode';
    const name = isEpisode ? `step ${where.step} episode ${String(span.args?.index ?? '')}`.trimEnd() : span.name;
    return { name, cat: span.cat, ph: 'X', ts, dur: Math.max(0, micros(span.endMs) - ts), pid: ROLLOUT_PID, tid, args: { step: where.step, ...span.args } };
  });
}

export interface TimelineWriter {
  /** A step's spans from its metrics line, ending at `endMs` (default now). */
  (line: Record<string, number | string>, endMs?: number): void;
  /** One finished episode's spans (buffered: written with the next step, or every 256 KiB). */
  episode(spans: readonly EpisodeSpan[], where: { step: number; lane: number }): void;
  /** Writes the buffered episode spans now (the run calls it when it ends). */
  flush(): void;
}

const EPISODE_BUFFER_CHARS = 256 * 1024;

/** Appends each step's spans; starts the file over unless resuming a run that has one. */
export function timelineWriter(file: string, options: { resume: boolean }): TimelineWriter {
  const line = (e: TraceEvent): string => `${JSON.stringify(e)},\n`;
  if (!options.resume || !existsSync(file)) writeFileSync(file, `[\n${timelineMetadata().map(line).join('')}`);
  // Episode spans wait in memory: one append per episode cost a third of a millisecond of CPU each.
  let pending = '';
  const write = ((metrics: Record<string, number | string>, endMs = Date.now()) => {
    appendFileSync(file, pending + stepTraceEvents(metrics, endMs).map(line).join(''));
    pending = '';
  }) as TimelineWriter;
  write.flush = () => {
    if (pending) appendFileSync(file, pending);
    pending = '';
  };
  // Rows are named the first time they are used (metadata events may come anywhere in the file).
  const named = new Set<number>();
  write.episode = (spans, where) => {
    const events: TraceEvent[] = [];
    if (named.size === 0) events.push({ name: 'process_name', ph: 'M', ts: 0, pid: ROLLOUT_PID, tid: 0, args: { name: 'rollout (one row per episode lane)' } });
    if (!named.has(where.lane)) {
      named.add(where.lane);
      events.push({ name: 'thread_name', ph: 'M', ts: 0, pid: ROLLOUT_PID, tid: where.lane + 1, args: { name: `lane ${where.lane}` } });
      events.push({ name: 'thread_sort_index', ph: 'M', ts: 0, pid: ROLLOUT_PID, tid: where.lane + 1, args: { sort_index: where.lane } });
    }
    events.push(...episodeTraceEvents(spans, where));
    pending += events.map(line).join('');
    if (pending.length >= EPISODE_BUFFER_CHARS) write.flush();
  };
  return write;
}
