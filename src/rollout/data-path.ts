/**
 * Prompt-data paths with slime's row-slice suffix: `file.jsonl@[a:b]`. Bounds follow Python slice
 * rules (either may be empty, negative counts from the end), so a path written for slime selects
 * the same rows here.
 */
import { InvalidInputError } from '../protocol/errors.ts';

export interface RowSlice {
  start: number | undefined;
  end: number | undefined;
}

export interface DataPath {
  /** The file path without the slice suffix. */
  file: string;
  slice: RowSlice | undefined;
}

const SLICE_SUFFIX = /@\[\s*(-?\d*)\s*:\s*(-?\d*)\s*\]$/;

export function parseDataPath(spec: string): DataPath {
  if (spec.trim() === '') throw new InvalidInputError('prompt data path is empty');
  const match = SLICE_SUFFIX.exec(spec);
  if (!match) {
    if (/@\[[^\]]*\]$/.test(spec))
      throw new InvalidInputError(`prompt data path "${spec}": row slice must look like @[start:end] with integer bounds`);
    return { file: spec, slice: undefined };
  }
  const file = spec.slice(0, match.index);
  if (file === '') throw new InvalidInputError(`prompt data path "${spec}" has a row slice but no file`);
  const bound = (text: string | undefined): number | undefined =>
    text === undefined || text === '' || text === '-' ? undefined : Number.parseInt(text, 10);
  if (match[1] === '-' || match[2] === '-')
    throw new InvalidInputError(`prompt data path "${spec}": "-" is not a slice bound`);
  return { file, slice: { start: bound(match[1]), end: bound(match[2]) } };
}

/** Resolve a slice against a row count the way Python's `rows[start:end]` does. */
export function resolveSlice(slice: RowSlice | undefined, rowCount: number): { start: number; end: number } {
  if (!slice) return { start: 0, end: rowCount };
  const clamp = (value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const absolute = value < 0 ? rowCount + value : value;
    return Math.min(Math.max(absolute, 0), rowCount);
  };
  const start = clamp(slice.start, 0);
  const end = clamp(slice.end, rowCount);
  return { start, end: Math.max(start, end) };
}
