/**
 * One sample as a card: identity, outcome, rewards and versions up top; prompt, response and
 * metadata collapsible; then the token stream. Filter attributes (status, agent) sit on the card
 * root so the page's script can hide cards without parsing anything.
 */
import type { Sample } from '../protocol/sample.ts';
import { esc, num } from './escape.ts';
import { renderTokenStream } from './token-stream.ts';

function field(name: string, value: string): string {
  return `<span class="f"><em>${esc(name)}</em> ${value}</span>`;
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

function renderPrompt(prompt: Sample['prompt']): string {
  if (typeof prompt === 'string') return `<pre class="msg">${esc(prompt)}</pre>`;
  return prompt
    .map((m) => {
      const extra: string[] = [];
      if (m.name) extra.push(`name ${m.name}`);
      if (m.toolCallId) extra.push(`call ${m.toolCallId}`);
      const head = `<div class="role">${esc(m.role)}${extra.length ? ` <small>${esc(extra.join(', '))}</small>` : ''}</div>`;
      const reasoning = m.reasoningContent ? `<pre class="msg rs">${esc(m.reasoningContent)}</pre>` : '';
      const calls = m.toolCalls?.length ? `<pre class="msg tc">${esc(json(m.toolCalls))}</pre>` : '';
      return `${head}${reasoning}<pre class="msg">${esc(m.content)}</pre>${calls}`;
    })
    .join('');
}

export function renderSampleCard(sample: Sample, decode?: (id: number) => string): string {
  const { html: stream, stats } = renderTokenStream(sample, decode);
  const forkReason = sample.metadata.forkReason;
  const fork = `${sample.forkIndex}${typeof sample.metadata.forkCount === 'number' ? ` of ${sample.metadata.forkCount}` : ''}${
    forkReason === undefined ? '' : ` <small>(${esc(typeof forkReason === 'string' ? forkReason : json(forkReason))})</small>`
  }`;
  const status = `<b class="st ${sample.status === 'completed' ? 'ok' : 'bad'}">${esc(sample.status)}</b>${
    sample.statusReason ? ` <small>${esc(sample.statusReason)}</small>` : ''
  }`;
  const rewards = Object.entries(sample.rewards).map(([k, v]) => `${esc(k)}=${num(v)}`).join(', ');
  const promptLen = sample.tokens.length - sample.responseLength;
  const warnings: string[] = [];
  if (stats.uncovered) warnings.push(`${stats.uncovered} tokens outside any span`);
  if (stats.maskMismatches) warnings.push(`${stats.maskMismatches} loss-mask/span mismatches`);
  const fields = [
    field('rollout', esc(sample.rolloutId)),
    field('agent', esc(sample.agent)),
    field('fork', fork),
    field('status', status),
    field('reward', sample.reward === null ? 'null' : num(sample.reward)),
    ...(rewards ? [field('rewards', rewards)] : []),
    field('turns', String(sample.turns)),
    field('weights', esc(sample.weightVersions.join(' ')) || '-'),
    field('index', `${sample.index} (group ${sample.groupIndex})`),
    field('tokens', `${promptLen} prompt + ${sample.responseLength} response`),
  ];
  const metadata = Object.keys(sample.metadata).length ? `<details><summary>metadata</summary><pre class="msg">${esc(json(sample.metadata))}</pre></details>` : '';
  const label = sample.label === undefined ? '' : `<details><summary>label</summary><pre class="msg">${esc(json(sample.label))}</pre></details>`;
  return [
    `<section class="card" data-status="${esc(sample.status)}" data-agent="${esc(sample.agent)}" data-rollout="${esc(sample.rolloutId)}">`,
    `<div class="hd">${fields.join('')}</div>`,
    warnings.length ? `<div class="warn">${esc(warnings.join('; '))}</div>` : '',
    `<details><summary>prompt</summary>${renderPrompt(sample.prompt)}</details>`,
    `<details><summary>response</summary><pre class="msg">${esc(sample.response)}</pre></details>`,
    metadata,
    label,
    `<div class="ts">${stream}</div>`,
    '</section>',
  ].join('');
}
