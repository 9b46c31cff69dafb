/**
 * `renderTraceHtml`: samples in, one self-contained HTML page out (inline CSS and script, no
 * network), to read a trajectory token by token: span kinds, loss masks, log-probs, turns, forks.
 */
import type { Tokenizer } from '../chat/tokenizer.ts';
import type { Sample } from '../protocol/sample.ts';
import { esc } from './escape.ts';
import { TRACE_CSS, TRACE_SCRIPT } from './page-assets.ts';
import { renderSampleCard } from './sample-card.ts';
import { summarize, type TraceSummary } from './trace-summary.ts';
import { tokenDecoder } from './token-stream.ts';

export interface TraceHtmlOptions {
  title?: string;
  /** Shows each token's text; without it tokens show as ids. */
  tokenizer?: Pick<Tokenizer, 'decode'>;
}

function options(values: string[], all: string): string {
  return [`<option value="">${esc(all)}</option>`, ...values.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`)].join('');
}

function renderHeader(title: string, s: TraceSummary): string {
  const statuses = Object.entries(s.statusCounts).map(([k, v]) => `${esc(k)}=${v}`).join(' ');
  const item = (name: string, value: string): string => `<span><em>${name}</em> ${value}</span>`;
  return [
    '<header>',
    `<h1>${esc(title)}</h1>`,
    '<div class="sum">',
    item('samples', String(s.samples)),
    item('status', statuses || 'none'),
    item('reward mean', s.rewardMean === null ? 'n/a' : `${s.rewardMean.toFixed(3)} <small>(${s.rewarded} rewarded)</small>`),
    item('forks', `${s.forks} <small>(${s.rollouts} rollouts)</small>`),
    item('turns', `${s.turns}${s.samples ? ` <small>(mean ${(s.turns / s.samples).toFixed(2)})</small>` : ''}`),
    item('tokens', String(s.tokens)),
    '</div>',
    '<div class="ctl">',
    `<select id="fs" aria-label="status">${options(Object.keys(s.statusCounts), 'all statuses')}</select>`,
    `<select id="fa" aria-label="agent">${options(s.agents, 'all agents')}</select>`,
    '<input id="q" type="search" placeholder="search text" aria-label="search">',
    `<span><span id="shown">${s.samples}</span> shown</span>`,
    '</div>',
    '<div class="lg">',
    '<i class="p">prompt</i><i class="s">sampled</i><i class="t">tool</i><i class="u">user</i><i class="c">scaffold</i><i class="x">no span</i>',
    ' sampled p&lt;0.9 <i class="s" style="background:#fef08a">▪</i><i class="s" style="background:#fdba74">▪</i><i class="s" style="background:#f97316">▪</i><i class="s" style="background:#dc2626">▪</i>p&lt;0.05',
    ' <i class="w">mask ≠ span</i>',
    '</div>',
    '</header>',
  ].join('');
}

export function renderTraceHtml(samples: Sample[], options: TraceHtmlOptions = {}): string {
  const title = options.title ?? 'physarum trace';
  const decode = options.tokenizer ? tokenDecoder(options.tokenizer) : undefined;
  const cards = samples.map((s) => renderSampleCard(s, decode));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${TRACE_CSS}</style>`,
    '</head><body>',
    renderHeader(title, summarize(samples)),
    `<main>${cards.join('\n')}</main>`,
    `<script>${TRACE_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
