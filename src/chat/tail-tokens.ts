/**
 * Tokenizing the non-sampled text the ledger appends (tool results, user turns, template
 * scaffolding) once, and labelling the tokens with span kinds. The text is encoded in one call;
 * kinds come from splitting the text at special tokens, which the tokenizer also splits at before
 * anything else, so each text piece owns exactly one run of tokens.
 */
import type { Span, SpanKind } from '../protocol/sample.ts';
import type { Tokenizer } from './tokenizer.ts';

/** A character range of the text and what it is (e.g. a tool's output). */
export interface TextRegion {
  kind: SpanKind;
  start: number;
  end: number;
  toolName?: string;
}

export interface LabelledTokens {
  tokens: number[];
  spans: Span[];
}

interface Piece {
  start: number;
  end: number;
  specialId?: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The pattern of a tokenizer's special tokens, built once per list (a tokenizer's list is fixed).
const patterns = new WeakMap<readonly string[], RegExp | undefined>();

function specialsPattern(specialTokens: readonly string[]): RegExp | undefined {
  if (patterns.has(specialTokens)) return patterns.get(specialTokens);
  const specials = specialTokens.filter((t) => t.length > 0);
  const pattern = specials.length === 0 ? undefined : new RegExp([...specials].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  patterns.set(specialTokens, pattern);
  return pattern;
}

function splitAtSpecials(text: string, tokenizer: Tokenizer): Piece[] | undefined {
  const pattern = specialsPattern(tokenizer.specialTokens ?? []);
  if (!pattern) return undefined;
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) pieces.push({ start: last, end: match.index });
    const specialId = tokenizer.tokenToId(match[0]);
    if (specialId === undefined) return undefined;
    pieces.push({ start: match.index, end: match.index + match[0].length, specialId });
    last = match.index + match[0].length;
  }
  if (last < text.length) pieces.push({ start: last, end: text.length });
  return pieces;
}

/** Token kind of each token, or undefined when pieces and tokens do not line up. */
function kindsByPiece(tokens: number[], pieces: Piece[], regions: TextRegion[], specialIds: Set<number>): Array<TextRegion | undefined> | undefined {
  const labels: Array<TextRegion | undefined> = [];
  let t = 0;
  for (const piece of pieces) {
    if (piece.specialId !== undefined) {
      if (tokens[t] !== piece.specialId) return undefined;
      labels.push(undefined);
      t++;
      continue;
    }
    const region = regions.find((r) => r.start < piece.end && r.end > piece.start);
    const from = t;
    while (t < tokens.length && !specialIds.has(tokens[t]!)) {
      labels.push(region);
      t++;
    }
    if (t === from) return undefined;
  }
  return t === tokens.length ? labels : undefined;
}

/**
 * Encode `text` once; spans (offset by `offset`, stamped with `turn`) say which tokens came from
 * which region, the rest being `defaultKind`.
 */
export function tokenizeLabelled(
  tokenizer: Tokenizer,
  text: string,
  options: { regions: TextRegion[]; defaultKind: SpanKind; offset: number; turn: number },
): LabelledTokens {
  const tokens = text.length === 0 ? [] : tokenizer.encode(text);
  const pieces = splitAtSpecials(text, tokenizer);
  const specialIds = new Set((pieces ?? []).flatMap((p) => (p.specialId === undefined ? [] : [p.specialId])));
  const labels = pieces && kindsByPiece(tokens, pieces, options.regions, specialIds);
  const spans: Span[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const region = labels?.[i];
    const kind = region?.kind ?? options.defaultKind;
    const toolName = region?.toolName;
    const previous = spans.at(-1);
    if (previous && previous.kind === kind && previous.toolName === toolName) previous.end++;
    else
      spans.push({
        kind,
        start: options.offset + i,
        end: options.offset + i + 1,
        turn: options.turn,
        ...(toolName === undefined ? {} : { toolName }),
      });
  }
  return { tokens, spans };
}

/**
 * Regions of the messages' contents inside `text`, found in order from `from`. Templates print
 * content verbatim; content a template transforms is not found and stays `defaultKind`.
 */
export function contentRegions(text: string, contents: Array<{ content: string; kind: SpanKind; toolName?: string }>, from = 0): TextRegion[] {
  const regions: TextRegion[] = [];
  let cursor = from;
  for (const item of contents) {
    if (item.content.length === 0) continue;
    const at = text.indexOf(item.content, cursor);
    if (at < 0) continue;
    regions.push({ kind: item.kind, start: at, end: at + item.content.length, ...(item.toolName === undefined ? {} : { toolName: item.toolName }) });
    cursor = at + item.content.length;
  }
  return regions;
}
