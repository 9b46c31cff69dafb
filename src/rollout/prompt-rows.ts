/**
 * The one reader of data files: raw rows of a .jsonl or .parquet file, after the `@[a:b]` slice
 * (prompt rows and env task rows alike; `readPromptRecords` turns them into records). Rows keep their
 * position in the file so every later error can name "file row N". Values are made
 * JSON-serializable here (parquet int64 arrives as bigint) because prompts travel into carried
 * partial groups, the Data Buffer and checkpoints.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { InvalidInputError, PhysarumError, throwIfAborted } from '../protocol/errors.ts';
import { parseDataPath, resolveSlice } from './data-path.ts';
import { parquetCompressors } from './parquet-codecs.ts';

export interface RawRow {
  file: string;
  /** Zero-based row index in the whole file (before slicing; blank jsonl lines are not rows). */
  row: number;
  /** One-based line number, for jsonl. */
  line?: number;
  value: unknown;
}

export async function readPromptRows(spec: string, options: { signal?: AbortSignal } = {}): Promise<RawRow[]> {
  const { file, slice } = parseDataPath(spec);
  throwIfAborted(options.signal);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl') return readJsonl(file, slice, options.signal);
  if (ext === '.parquet') return readParquet(file, slice, options.signal);
  throw new InvalidInputError(`data file '${file}': unsupported extension "${ext}" (expected .jsonl or .parquet)`);
}

async function readJsonl(file: string, slice: Parameters<typeof resolveSlice>[0], signal?: AbortSignal): Promise<RawRow[]> {
  const text = await readFileOrThrow(file, signal);
  const lines: Array<{ line: number; text: string }> = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() !== '') lines.push({ line: i + 1, text: raw });
  });
  const { start, end } = resolveSlice(slice, lines.length);
  const rows: RawRow[] = [];
  for (let row = start; row < end; row++) {
    const { line, text: rowText } = lines[row]!;
    let value: unknown;
    try {
      value = JSON.parse(rowText);
    } catch (error) {
      throw new InvalidInputError(`${file} row ${row} (line ${line}): not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    rows.push({ file, row, line, value });
  }
  return rows;
}

async function readParquet(file: string, slice: Parameters<typeof resolveSlice>[0], signal?: AbortSignal): Promise<RawRow[]> {
  throwIfAborted(signal);
  try {
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    const { start, end } = resolveSlice(slice, Number(metadata.num_rows));
    if (end <= start) return [];
    const objects = await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end, compressors: parquetCompressors });
    return objects.map((value, i) => ({ file, row: start + i, value: toJsonValue(value) }));
  } catch (error) {
    if (PhysarumError.isInstance(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new InvalidInputError(`cannot read data file '${file}': ${code}`, { cause: error });
    throw new InvalidInputError(`data file '${file}': cannot read parquet: ${(error as Error).message}`, { cause: error });
  }
}

async function readFileOrThrow(file: string, signal?: AbortSignal): Promise<string> {
  try {
    return await readFile(file, { encoding: 'utf8', signal });
  } catch (error) {
    throwIfAborted(signal);
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError(`cannot read data file '${file}': ${code ?? (error as Error).message}`, { cause: error });
  }
}

/** bigint → number (string when unsafe), bytes → base64, dates → ISO: lossless enough and JSON-safe. */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = toJsonValue(inner);
    return out;
  }
  return value;
}
