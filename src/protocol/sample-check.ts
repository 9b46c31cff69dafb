/**
 * Checks a sample from a generate hook against the `Sample` schema, fast. A full zod parse of a
 * 2048-token sample costs over a millisecond (per-element union checks on three long arrays),
 * which would make validation the manager's main cost. So zod checks every field except the long
 * arrays (same schema, same defaults), and plain loops check those arrays and the length
 * invariants of the schema's refinement.
 */
import { z } from 'zod';
import { Sample, Span } from './sample.ts';

const Spans = z.array(Span);

export type SampleCheck = { ok: true; sample: Sample } | { ok: false, problem: string };

export function checkSample(value: unknown): SampleCheck {
  if (value === null || typeof value !== 'object') return { ok: false, problem: `expected a sample object, got ${value === null ? 'null' : typeof value}` };
  const raw = value as Record<string, unknown>;
  const { tokens, lossMask, rolloutLogProbs, spans } = raw;
  if (!Array.isArray(tokens)) return { ok: false, problem: 'tokens: expected an array' };
  if (!Array.isArray(lossMask)) return { ok: false, problem: 'lossMask: expected an array' };
  if (!Array.isArray(rolloutLogProbs)) return { ok: false, problem: 'rolloutLogProbs: expected an array' };
  const rest = Sample.safeParse({ ...raw, tokens: [], lossMask: [], rolloutLogProbs: [], responseLength: 0, spans: [] });
  if (!rest.success) return { ok: false, problem: rest.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  const responseLength = raw.responseLength;
  if (typeof responseLength !== 'number' || !Number.isInteger(responseLength) || responseLength < 0)
    return { ok: false, problem: `responseLength: expected a non-negative integer, got ${String(responseLength)}` };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) return { ok: false, problem: `tokens.${i}: expected a non-negative integer, got ${String(t)}` };
  }
  for (let i = 0; i < lossMask.length; i++) {
    if (lossMask[i] !== 0 && lossMask[i] !== 1) return { ok: false, problem: `lossMask.${i}: expected 0 or 1, got ${String(lossMask[i])}` };
  }
  for (let i = 0; i < rolloutLogProbs.length; i++) {
    if (typeof rolloutLogProbs[i] !== 'number') return { ok: false, problem: `rolloutLogProbs.${i}: expected a number, got ${typeof rolloutLogProbs[i]}` };
  }
  if (responseLength > tokens.length) return { ok: false, problem: `responseLength ${responseLength} exceeds tokens.length ${tokens.length}` };
  if (lossMask.length !== responseLength) return { ok: false, problem: `lossMask has ${lossMask.length} entries, responseLength is ${responseLength}` };
  if (rolloutLogProbs.length !== responseLength)
    return { ok: false, problem: `rolloutLogProbs has ${rolloutLogProbs.length} entries, responseLength is ${responseLength}` };
  const parsedSpans = Spans.safeParse(spans ?? []);
  if (!parsedSpans.success) return { ok: false, problem: `spans: ${parsedSpans.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  for (const span of parsedSpans.data) {
    if (span.end < span.start || span.end > tokens.length)
      return { ok: false, problem: `span [${span.start}, ${span.end}) is outside tokens (length ${tokens.length})` };
  }
  const sample = { ...rest.data, tokens, lossMask, rolloutLogProbs, responseLength, spans: parsedSpans.data } as Sample;
  return { ok: true, sample };
}
