/**
 * Task rows: each env validates its rows with its own zod schema. A bad row is an
 * `InvalidTaskError` naming the row and the field. Files are read by the rollout layer's one
 * reader (`readPromptRecords` with a `taskSchema`), which calls this for every row.
 */
import type { z } from 'zod';
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
