/**
 * A step's samples as a trace page: the groups the Data Buffer's take consumed for that step
 * (recomputed read-only with `stepBatch`, as `dumpStep` does), rendered by the trace viewer.
 * Samples of a group sit next to each other; `sort` orders all of them by reward instead, so the
 * worst (or best) samples of a regressed step come first. The page links back to its point on
 * the dashboard.
 */
import { existsSync } from 'node:fs';
import type { Tokenizer } from '../../chat/tokenizer.ts';
import { DataBuffer } from '../../buffer/data-buffer.ts';
import { runPaths } from '../../driver/run-dir.ts';
import { InvalidInputError } from '../../protocol/errors.ts';
import type { Sample } from '../../protocol/sample.ts';
import { esc } from '../escape.ts';
import { renderTraceHtml } from '../trace-html.ts';

export type StepSort = 'group' | 'reward-asc' | 'reward-desc';

export interface StepTraceOptions {
  sort?: StepSort;
  tokenizer?: Pick<Tokenizer, 'decode'>;
  /** Appended to the link back to the dashboard (the access token). */
  query?: string;
}

/** Opens the run's buffer on first use; a run without one (SFT) has no samples to show. */
export class StepSamples {
  private buffer: DataBuffer | undefined;

  constructor(readonly root: string) {}

  samples(step: number): Sample[] {
    const file = runPaths(this.root).buffer;
    if (!this.buffer) {
      if (!existsSync(file)) throw new InvalidInputError(`run ${this.root} has no Data Buffer (${file}): an SFT run keeps no samples`);
      this.buffer = DataBuffer.open(file);
    }
    const batch = this.buffer.stepBatch(step);
    if (batch.groups.length === 0) throw new InvalidInputError(`step ${step} has not been taken from the buffer of run ${this.root}`);
    return batch.groups.flatMap((g) => g.samples.map((t) => t.sample));
  }

  async close(): Promise<void> {
    await this.buffer?.close();
    this.buffer = undefined;
  }
}

const rewardOf = (s: Sample): number => s.reward ?? Number.NEGATIVE_INFINITY;

export function sortSamples(samples: Sample[], sort: StepSort): Sample[] {
  if (sort === 'group') return samples;
  const sign = sort === 'reward-asc' ? 1 : -1;
  return samples.map((s, i) => ({ s, i })).sort((a, b) => sign * (rewardOf(a.s) - rewardOf(b.s)) || a.i - b.i).map((x) => x.s);
}

export function renderStepTrace(step: number, samples: Sample[], options: StepTraceOptions = {}): string {
  const sort = options.sort ?? 'group';
  const html = renderTraceHtml(sortSamples(samples, sort), { title: `step ${step}`, ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}) });
  const q = options.query ?? '';
  const link = (to: StepSort, label: string): string =>
    to === sort ? `<b>${label}</b>` : `<a href="/step/${step}?sort=${to}${q ? `&${esc(q.slice(1))}` : ''}">${label}</a>`;
  const nav =
    `<nav style="padding:6px 14px;background:#eef2ff"><a href="/${esc(q)}#step=${step}" target="_top">← dashboard at step ${step}</a> · order: ` +
    `${link('group', 'by group')} · ${link('reward-asc', 'lowest reward first')} · ${link('reward-desc', 'highest reward first')}</nav>`;
  return html.replace('<body>', `<body>${nav}`);
}
