/**
 * One prompt of the dataset, read from a raw row through slime-compatible keys (`--input-key`,
 * `--label-key`, `--metadata-key`, `--tool-key`). A broken row fails with the file, the row and the
 * key in the message, so a bad line in a million-row file is found without bisecting.
 */
import { z } from 'zod';
import { parseTask } from '../env/task.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { ChatMessageRecord } from '../protocol/sample.ts';
import type { RawRow } from './prompt-rows.ts';

export interface DatasetKeys {
  /**
   * Default `input`: a string or an OpenAI-style message list. `null` reads env task rows: the
   * whole row becomes `task` (the env's taskSchema checks it) and there is no prompt text.
   */
  inputKey?: string | null;
  /** Default none (no label). */
  labelKey?: string;
  /** Default `metadata`: an object, or a JSON string holding one. */
  metadataKey?: string;
  /** Default `tools`: an array, or a JSON string holding one; also stored as `metadata.tools`. */
  toolKey?: string;
}

export const PromptRecord = z.object({
  /** Stable identity: `file#row` for file data, or whatever an in-memory dataset sets. */
  id: z.string().min(1),
  /** Absent for env task rows, whose env builds the prompt from `task`. */
  prompt: z.union([z.string(), z.array(ChatMessageRecord)]).optional(),
  /** The env task (the raw row, for `inputKey: null`). */
  task: z.unknown().optional(),
  label: z.unknown().optional(),
  metadata: z.record(z.string(), z.unknown()),
  tools: z.array(z.unknown()).optional(),
});
export type PromptRecord = z.infer<typeof PromptRecord>;

export function promptFromRow(raw: RawRow, keys: DatasetKeys = {}): PromptRecord {
  const inputKey = keys.inputKey ?? 'input';
  const metadataKey = keys.metadataKey ?? 'metadata';
  const toolKey = keys.toolKey ?? 'tools';
  const where = `${raw.file} row ${raw.row}${raw.line === undefined ? '' : ` (line ${raw.line})`}`;
  const fail = (key: string, problem: string): never => {
    throw new InvalidInputError(`${where}, key "${key}": ${problem}`);
  };
  if (raw.value === null || typeof raw.value !== 'object' || Array.isArray(raw.value))
    throw new InvalidInputError(`${where}: a row must be an object, got ${describe(raw.value)}`);
  const row = raw.value as Record<string, unknown>;
  if (keys.inputKey === null) {
    const record: PromptRecord = { id: `${raw.file}#${raw.row}`, task: row, metadata: {} };
    if (keys.labelKey !== undefined && row[keys.labelKey] !== undefined) record.label = row[keys.labelKey];
    return record;
  }

  const input = row[inputKey];
  if (input === undefined || input === null) fail(inputKey, 'missing');
  const prompt = z.union([z.string(), z.array(ChatMessageRecord).min(1)]).safeParse(input);
  if (!prompt.success) fail(inputKey, `expected a string or a non-empty message list, got ${describe(input)} (${firstIssue(prompt.error)})`);

  let metadata: Record<string, unknown> = {};
  const rawMetadata = parseMaybeJson(row[metadataKey], () => fail(metadataKey, 'string is not valid JSON'));
  if (rawMetadata !== undefined && rawMetadata !== null) {
    if (typeof rawMetadata !== 'object' || Array.isArray(rawMetadata)) fail(metadataKey, `expected an object, got ${describe(rawMetadata)}`);
    metadata = { ...(rawMetadata as Record<string, unknown>) };
  }

  let tools: unknown[] | undefined;
  const rawTools = parseMaybeJson(row[toolKey], () => fail(toolKey, 'string is not valid JSON'));
  if (rawTools !== undefined && rawTools !== null) {
    if (!Array.isArray(rawTools)) fail(toolKey, `expected an array of tool specs, got ${describe(rawTools)}`);
    tools = rawTools as unknown[];
    metadata.tools = tools;
  }

  const record: PromptRecord = { id: `${raw.file}#${raw.row}`, prompt: prompt.data!, metadata };
  if (keys.labelKey !== undefined && row[keys.labelKey] !== undefined) record.label = row[keys.labelKey];
  if (tools) record.tools = tools;
  return record;
}

/**
 * An env task row as a record: the row, checked with the env's task schema. A bad row names its
 * file, its row (the line, for jsonl, as an editor shows it; the index, for parquet) and the field.
 */
export function taskFromRow<T>(raw: RawRow, taskSchema: z.ZodType<T>): PromptRecord {
  const task = parseTask(taskSchema, raw.value, { row: raw.line ?? raw.row, source: raw.file });
  return { id: `${raw.file}#${raw.row}`, task, metadata: {} };
}

function parseMaybeJson(value: unknown, onError: () => never): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return onError();
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const nested = issue.errors.flat().at(-1);
    if (nested) return `${nested.path.join('.') || '(root)'}: ${nested.message}`;
  }
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
