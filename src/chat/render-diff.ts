/**
 * Comparing two chat-template renders for the ledger's append-only check. Text matching one of
 * the "ignorable" patterns (by default an empty reasoning block, `<think>\n\n</think>\n\n`, which
 * Qwen3 prints for the last assistant turn but drops once more messages follow) is left out of
 * the comparison: it carries nothing the model wrote, so dropping it is not a rewrite of history.
 */

/** Empty `<think></think>` blocks (with any whitespace) carry no content. */
export const DEFAULT_IGNORABLE: readonly RegExp[] = [/<think>\s*<\/think>\s*/g];

export interface NormalizedText {
  text: string;
  /** For each character of `text`, its index in the original. */
  origin: number[];
}

export function normalizeRender(original: string, ignorable: readonly RegExp[]): NormalizedText {
  const removed = new Uint8Array(original.length);
  for (const pattern of ignorable) {
    const global = pattern.flags.includes('g') ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
    for (const match of original.matchAll(global)) removed.fill(1, match.index, match.index + match[0].length);
  }
  let text = '';
  const origin: number[] = [];
  for (let i = 0; i < original.length; i++) {
    if (removed[i]) continue;
    text += original[i];
    origin.push(i);
  }
  return { text, origin };
}

/**
 * Where, in the original of `normalized`, a normalized prefix of length `length` ends: just after
 * its last kept character, so ignorable text right after the prefix belongs to what follows.
 */
export function originalOffset(normalized: NormalizedText, length: number): number {
  return length === 0 ? 0 : normalized.origin[length - 1]! + 1;
}

export interface PrefixCheck {
  ok: boolean;
  /** When ok: where `prefix` ends inside `full` (in `full`'s original characters). */
  end: number;
  /** When not ok: the first difference, in words, for the fork reason. */
  difference?: string;
}

function excerpt(text: string, at: number): string {
  return JSON.stringify(text.slice(Math.max(0, at - 20), at + 40));
}

// Renders share most of their text; normalizing only from shortly before the first difference
// keeps the check linear in the new text rather than in the whole conversation. The margin covers
// an ignorable match that starts before the difference.
const NORMALIZE_MARGIN = 4096;

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Whether `full` extends `prefix`, ignoring ignorable text in both. */
export function checkPrefix(prefix: string, full: string, ignorable: readonly RegExp[]): PrefixCheck {
  if (full.startsWith(prefix)) return { ok: true, end: prefix.length };
  const from = Math.max(0, commonPrefixLength(prefix, full) - NORMALIZE_MARGIN);
  const p = normalizeRender(prefix.slice(from), ignorable);
  const f = normalizeRender(full.slice(from), ignorable);
  if (f.text.startsWith(p.text)) return { ok: true, end: from + originalOffset(f, p.text.length) };
  let at = 0;
  while (at < p.text.length && p.text[at] === f.text[at]) at++;
  const prefixAt = from + (at < p.origin.length ? p.origin[at]! : prefix.length - from);
  const fullAt = from + (at < f.origin.length ? f.origin[at]! : full.length - from);
  return {
    ok: false,
    end: 0,
    difference: `at character ${prefixAt}: held ${excerpt(prefix, prefixAt)}, template now renders ${excerpt(full, fullAt)}`,
  };
}
