/**
 * A step's samples as a trace page: the groups the Data Buffer's take consumed for that step
 * (recomputed read-only with `stepBatch`, as `dumpStep` does), rendered by the trace viewer.
 * Samples of a group sit next to each other (`layout: 'pairs'`: two per row, side by side);
 * `sort` orders all of them by reward instead, so the worst (or best) samples of a regressed step
 * come first. The page links back to its point on the dashboard.
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
  layout?: StepLayout;
  /** The dashboard's query (`?token=...`), kept on every link. */
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

export type StepLayout = 'list' | 'pairs';

/** Two samples of a group next to each other: cards in a two-column grid, in group order. */
const PAIRS_CSS = '<style>main{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:0 12px}</style>';

export function renderStepTrace(step: number, samples: Sample[], options: StepTraceOptions = {}): string {
  const sort = options.sort ?? 'group';
  const layout = options.layout ?? 'list';
  const html = renderTraceHtml(sortSamples(samples, sort), { title: `step ${step}`, ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}) });
  const token = new URLSearchParams((options.query ?? '').replace(/^\?/, '')).get('token');
  const href = (to: { sort: StepSort; layout: StepLayout }): string => {
    const params = new URLSearchParams();
    if (to.sort !== 'group') params.set('sort', to.sort);
    if (to.layout !== 'list') params.set('layout', to.layout);
    if (token) params.set('token', token);
    const q = params.toString();
    return `/step/${step}${q ? `?${q}` : ''}`;
  };
  const choice = (active: boolean, to: { sort: StepSort; layout: StepLayout }, label: string): string =>
    active ? `<b>${label}</b>` : `<a href="${esc(href(to))}">${label}</a>`;
  const sorts = ([['group', 'by group'], ['reward-asc', 'lowest reward first'], ['reward-desc', 'highest reward first']] as const).map(([s, label]) => choice(s === sort, { sort: s, layout }, label));
  const layouts = ([['list', 'one per row'], ['pairs', 'two side by side']] as const).map(([l, label]) => choice(l === layout, { sort, layout: l }, label));
  const nav =
    `<nav style="padding:6px 14px;background:#eef2ff"><a href="/${esc(options.query ?? '')}#step=${step}" target="_top">← dashboard at step ${step}</a>` +
    ` · order: ${sorts.join(' · ')} · layout: ${layouts.join(' · ')}</nav>`;
  return html.replace('<body>', `${layout === 'pairs' ? PAIRS_CSS : ''}<body>${nav}`);
}
