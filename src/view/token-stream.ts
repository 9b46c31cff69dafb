/**
 * The token stream of one sample: one `<i>` per token, grouped into one container per span run.
 * The container carries what a whole span shares (kind, turn, weight version, tool name, first
 * index), so each token carries only its own data (id, loss mask, log-prob) in short attributes.
 * That keeps 100 samples x 8k tokens a file a browser opens; the hover tooltip is built from these
 * attributes by the page's script instead of a `title` repeated on every token.
 */
import type { Sample, SpanKind } from '../protocol/sample.ts';
import { esc, num, visibleToken } from './escape.ts';

/** One-letter class per span kind; `x` marks tokens no span covers. */
export const KIND_CLASS: Record<SpanKind, string> = { prompt: 'p', sampled: 's', tool: 't', user: 'u', scaffold: 'c' };
export const UNCOVERED_CLASS = 'x';

export interface TokenStreamStats {
  /** Tokens no span covers (the ledger should leave none). */
  uncovered: number;
  /** Response tokens whose loss mask disagrees with their span: sampled with mask 0, or other kinds with mask 1. */
  maskMismatches: number;
}

/**
 * Log-prob shading bucket of a sampled token: none for likely tokens, h1..h4 as the probability
 * falls, so surprising tokens stand out in a long stream.
 */
export function shadeClass(logProb: number): string {
  const p = Math.exp(logProb);
  if (p >= 0.9) return '';
  if (p >= 0.5) return 'h1';
  if (p >= 0.2) return 'h2';
  if (p >= 0.05) return 'h3';
  return 'h4';
}

/** Which span owns each token (-1: none). Later spans win where spans overlap, which the ledger never emits. */
function spanOwners(sample: Sample): Int32Array {
  const owners = new Int32Array(sample.tokens.length).fill(-1);
  sample.spans.forEach((span, j) => {
    for (let k = span.start; k < span.end && k < owners.length; k++) owners[k] = j;
  });
  return owners;
}

export function renderTokenStream(sample: Sample, decode?: (id: number) => string): { html: string; stats: TokenStreamStats } {
  const { tokens, lossMask, rolloutLogProbs } = sample;
  const promptLen = tokens.length - sample.responseLength;
  const owners = spanOwners(sample);
  const stats: TokenStreamStats = { uncovered: 0, maskMismatches: 0 };
  const out: string[] = [];
  let lastTurn = -1;
  let i = 0;
  while (i < tokens.length) {
    const owner = owners[i]!;
    // A run ends where the owner changes or where the response starts, so markers sit between runs.
    let end = i + 1;
    while (end < tokens.length && owners[end] === owner && end !== promptLen) end++;
    const span = owner >= 0 ? sample.spans[owner] : undefined;
    if (i === promptLen && i > 0) out.push('<b class="mk rb">response ▸</b>');
    if (span && span.turn !== lastTurn) {
      lastTurn = span.turn;
      out.push(`<b class="mk tb">turn ${span.turn}</b>`);
    }
    const kind = span ? KIND_CLASS[span.kind] : UNCOVERED_CLASS;
    let attrs = ` data-s="${i}"`;
    if (span) attrs += ` data-k="${span.kind}" data-turn="${span.turn}"`;
    if (span?.weightVersion !== undefined) attrs += ` data-wv="${esc(span.weightVersion)}"`;
    if (span?.toolName !== undefined) attrs += ` data-tool="${esc(span.toolName)}"`;
    out.push(`<span class="g ${kind}"${attrs}>`);
    for (let k = i; k < end; k++) {
      const id = tokens[k]!;
      // Numbers and class names need no quotes; on a million tokens the quotes alone are megabytes.
      let tokenAttrs = decode ? ` data-t=${id}` : '';
      const classes: string[] = [];
      if (k >= promptLen) {
        const r = k - promptLen;
        const mask = lossMask[r]!;
        const lp = rolloutLogProbs[r]!;
        tokenAttrs += ` data-m=${mask}`;
        if (mask === 1 || lp !== 0) tokenAttrs += ` data-l=${num(lp)}`;
        if (span?.kind === 'sampled' && mask === 1) {
          const shade = shadeClass(lp);
          if (shade) classes.push(shade);
        }
        if (span && (span.kind === 'sampled') !== (mask === 1)) {
          classes.push('w');
          stats.maskMismatches++;
        }
      }
      if (!span) stats.uncovered++;
      const cls = classes.length === 0 ? '' : classes.length === 1 ? ` class=${classes[0]}` : ` class="${classes.join(' ')}"`;
      out.push(`<i${cls}${tokenAttrs}>${decode ? esc(visibleToken(decode(id))) : String(id)}</i>`);
    }
    out.push('</span>');
    i = end;
  }
  return { html: out.join(''), stats };
}

/** Per-id decode with a cache and a fallback: an id the tokenizer cannot decode shows as [id]. */
export function tokenDecoder(tokenizer: { decode(ids: readonly number[]): string }): (id: number) => string {
  const cache = new Map<number, string>();
  return (id) => {
    let text = cache.get(id);
    if (text === undefined) {
      try {
        text = tokenizer.decode([id]);
      } catch {
        text = `[${id}]`;
      }
      cache.set(id, text);
    }
    return text;
  };
}
