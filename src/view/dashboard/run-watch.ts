/**
 * Follows a run directory: the new lines of metrics.jsonl and eval.jsonl, reduced to what the
 * page draws (charted keys only, 4 significant digits), so a 1,000-step run stays well under 2 MB on
 * the wire. Polls the files' sizes: cheap, and works where file events do not (network mounts).
 */
import { runPaths } from '../../driver/run-dir.ts';
import { CHARTS } from './charts.ts';
import { JsonlTail } from './jsonl-tail.ts';

/** One step (or eval) as the page gets it: `step` plus numeric fields. */
export type PointRecord = Record<string, number>;

export interface RunUpdate {
  /** True when a file started over: the page drops what it has before adding these. */
  reset: boolean;
  metrics: PointRecord[];
  evals: PointRecord[];
}

const precise = (x: number): number => (Number.isInteger(x) ? x : Number(x.toPrecision(4)));

const CHARTED = new Set(['step', ...CHARTS.flatMap((c) => c.keys)]);
const CHARTED_PREFIXES = CHARTS.flatMap((c) => c.prefixes ?? []);
const charted = (key: string): boolean => CHARTED.has(key) || CHARTED_PREFIXES.some((p) => key.startsWith(p));

/** Keeps the numeric fields a chart draws; a line without a numeric step is not a point. */
export function toPoint(record: Record<string, unknown>): PointRecord | undefined {
  if (typeof record.step !== 'number') return undefined;
  const out: PointRecord = {};
  for (const [key, value] of Object.entries(record)) if (charted(key) && typeof value === 'number' && Number.isFinite(value)) out[key] = precise(value);
  return out;
}

function pointsOf(records: Record<string, unknown>[]): PointRecord[] {
  const out: PointRecord[] = [];
  for (const r of records) {
    const p = toPoint(r);
    if (p) out.push(p);
  }
  return out;
}

export class RunWatch {
  readonly metrics: PointRecord[] = [];
  readonly evals: PointRecord[] = [];
  private readonly metricsTail: JsonlTail;
  private readonly evalsTail: JsonlTail;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly root: string,
    private readonly onProblem: (line: string) => void = () => {},
  ) {
    const paths = runPaths(root);
    this.metricsTail = new JsonlTail(paths.metrics);
    this.evalsTail = new JsonlTail(paths.evals);
  }

  /** Read what the files gained; returns undefined when nothing changed. */
  poll(): RunUpdate | undefined {
    const m = this.metricsTail.read();
    const e = this.evalsTail.read();
    for (const p of [...m.problems, ...e.problems]) this.onProblem(p);
    const reset = m.restarted || e.restarted;
    if (m.restarted) this.metrics.length = 0;
    if (e.restarted) this.evals.length = 0;
    const metrics = pointsOf(m.records);
    const evals = pointsOf(e.records);
    this.metrics.push(...metrics);
    this.evals.push(...evals);
    if (!reset && metrics.length === 0 && evals.length === 0) return undefined;
    // After a restart the page gets everything again, not only the new lines.
    return reset ? { reset, metrics: [...this.metrics], evals: [...this.evals] } : { reset, metrics, evals };
  }

  start(intervalMs: number, onUpdate: (update: RunUpdate) => void): void {
    this.stop();
    this.timer = setInterval(() => {
      const update = this.poll();
      if (update) onUpdate(update);
    }, intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
