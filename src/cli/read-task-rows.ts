/**
 * Tasks for the CLI's `--data`: a plain .jsonl file goes through the env layer's reader (row
 * numbers as users see them in the file); a .parquet file or a row slice (`file@[a:b]`, negative
 * bounds allowed) goes through the rollout layer's prompt reader. Either way each row is checked
 * against the env's task schema, and a bad row names its file, row and field.
 */
import path from 'node:path';
import type { z } from 'zod';
import { parseTask, readTasks } from '../env/task.ts';
import { parseDataPath } from '../rollout/data-path.ts';
import { readPromptRows } from '../rollout/prompt-rows.ts';

export async function readTaskRows<T>(spec: string, schema: z.ZodType<T>, options: { signal?: AbortSignal } = {}): Promise<T[]> {
  const { file, slice } = parseDataPath(spec);
  if (slice === undefined && path.extname(file).toLowerCase() === '.jsonl') return readTasks(file, schema, options);
  const rows = await readPromptRows(spec, options);
  // jsonl rows are named by their line (as readTasks does); parquet rows by their index.
  return rows.map((r) => parseTask(schema, r.value, { row: r.line ?? r.row, source: r.file }));
}
