/**
 * Task rows: each env validates its rows with its own zod schema. A bad row is an
 * `InvalidTaskError` naming the row (1-based line of the jsonl file) and the field.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { InvalidInputError } from '../protocol/errors.ts';
import { InvalidTaskError } from './errors.ts';

/** Validates one task; `row` (1-based) and `source` only shape the error message. */
export function parseTask<T>(schema: z.ZodType<T>, value: unknown, where: { row?: number; source?: string } = {}): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(row)';
  const at = [where.source, where.row !== undefined ? `row ${where.row}` : undefined].filter(Boolean).join(' ');
  const extra = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more issue(s))` : '';
  throw new InvalidTaskError(`invalid task${at ? ` at ${at}` : ''}: field '${field}': ${issue.message}${extra}`, { row: where.row, field });
}

/** Parses jsonl text into raw rows (blank lines skipped); a line that is not JSON names its row. */
export function parseJsonl(text: string, source = 'input'): Array<{ row: number; value: unknown }> {
  const rows: Array<{ row: number; value: unknown }> = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push({ row: i + 1, value: JSON.parse(line) });
    } catch (error) {
      throw new InvalidTaskError(`invalid task at ${source} row ${i + 1}: not JSON (${(error as Error).message})`, { row: i + 1 });
    }
  });
  return rows;
}

/** Reads and validates every row of a jsonl file; fails on the first bad row. */
export async function readTasks<T>(file: string, schema: z.ZodType<T>, options: { signal?: AbortSignal } = {}): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', signal: options.signal });
  } catch (error) {
    throw new InvalidInputError(`cannot read data file '${file}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const rows = parseJsonl(text, file);
  if (rows.length === 0) throw new InvalidInputError(`data file '${file}' holds no tasks`);
  return rows.map(({ row, value }) => parseTask(schema, value, { row, source: file }));
}
