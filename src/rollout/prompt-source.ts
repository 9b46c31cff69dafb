/**
 * The prompt cursor of a run, like slime's RolloutDataSource: take prompts in order, wrap into
 * the next epoch when the data runs out, reshuffle every epoch with `seed + epoch`. Its state
 * (epoch, offset) is two numbers, so a checkpoint resumes at the same prompt.
 */
import { z } from 'zod';
import { InvalidInputError, throwIfAborted } from '../protocol/errors.ts';
import { promptFromRow, taskFromRow, type DatasetKeys, type PromptRecord } from './prompt-record.ts';
import { readPromptRows } from './prompt-rows.ts';
import { seededPermutation } from './seeded-shuffle.ts';

export interface PromptSourceOptions {
  /** Reshuffle at every epoch with `seed + epoch` (slime `--rollout-shuffle`). */
  shuffle?: boolean;
  /** Default 42 (slime's `--rollout-seed` default). */
  seed?: number;
  /** Stop after this many passes over the data; default: never stop. */
  numEpochs?: number;
}

export const PromptSourceState = z.object({ epoch: z.number().int().nonnegative(), offset: z.number().int().nonnegative() });
export type PromptSourceState = z.infer<typeof PromptSourceState>;

/** One prompt handed out, with where it came from in the run. */
export interface DrawnPrompt {
  record: PromptRecord;
  epoch: number;
  /** Position in the (unshuffled) dataset. */
  datasetIndex: number;
}

export interface ReadRecordsOptions {
  /** How prompt rows map to records (slime's --input-key and friends). */
  keys?: DatasetKeys;
  /** Rows are env tasks: each is checked with this schema at load time (`keys` are not used). */
  taskSchema?: z.ZodType;
  signal?: AbortSignal;
}

/**
 * The records of a .jsonl/.parquet file (with an optional `@[a:b]` slice): prompts read through
 * slime-style keys, or env task rows checked against `taskSchema`. An empty file or slice, a row
 * that is not JSON and a row that fails its schema each fail here, naming the file and row.
 */
export async function readPromptRecords(spec: string, options: ReadRecordsOptions = {}): Promise<PromptRecord[]> {
  const rows = await readPromptRows(spec, { signal: options.signal });
  if (rows.length === 0) throw new InvalidInputError(`data file '${spec}' has no rows`);
  const { taskSchema } = options;
  return rows.map((row) => (taskSchema ? taskFromRow(row, taskSchema) : promptFromRow(row, options.keys)));
}

export class PromptSource {
  readonly records: readonly PromptRecord[];
  readonly shuffle: boolean;
  readonly seed: number;
  readonly numEpochs: number;
  #epoch = 0;
  #offset = 0;
  #order: number[];

  constructor(records: readonly PromptRecord[], options: PromptSourceOptions = {}) {
    if (records.length === 0) throw new InvalidInputError('prompt source: the dataset has no prompts');
    if (options.numEpochs !== undefined && !(options.numEpochs > 0))
      throw new InvalidInputError(`prompt source: numEpochs must be positive, got ${options.numEpochs}`);
    this.records = records;
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 42;
    this.numEpochs = options.numEpochs ?? Number.POSITIVE_INFINITY;
    this.#order = this.#orderFor(0);
  }

  /** Load a .jsonl/.parquet file (with an optional `@[a:b]` slice); see `readPromptRecords`. */
  static async fromFile(spec: string, options: PromptSourceOptions & ReadRecordsOptions = {}): Promise<PromptSource> {
    return new PromptSource(await readPromptRecords(spec, options), options);
  }

  get epoch(): number {
    return this.#epoch;
  }

  get exhausted(): boolean {
    return this.#epoch >= this.numEpochs;
  }

  /** The order of dataset indices for an epoch (identity when not shuffling). */
  epochOrder(epoch: number): number[] {
    return this.#orderFor(epoch);
  }

  /** Up to `count` prompts; fewer only when `numEpochs` runs out. */
  take(count: number, options: { signal?: AbortSignal } = {}): DrawnPrompt[] {
    throwIfAborted(options.signal);
    const drawn: DrawnPrompt[] = [];
    while (drawn.length < count && !this.exhausted) {
      const datasetIndex = this.#order[this.#offset]!;
      drawn.push({ record: this.records[datasetIndex]!, epoch: this.#epoch, datasetIndex });
      this.#offset++;
      if (this.#offset === this.records.length) {
        this.#epoch++;
        this.#offset = 0;
        this.#order = this.#orderFor(this.#epoch);
      }
    }
    return drawn;
  }

  state(): PromptSourceState {
    return { epoch: this.#epoch, offset: this.#offset };
  }

  restore(state: PromptSourceState): void {
    const parsed = PromptSourceState.parse(state);
    if (parsed.offset >= this.records.length)
      throw new InvalidInputError(`prompt source state: offset ${parsed.offset} is past the dataset (${this.records.length} prompts)`);
    this.#epoch = parsed.epoch;
    this.#offset = parsed.offset;
    this.#order = this.#orderFor(parsed.epoch);
  }

  #orderFor(epoch: number): number[] {
    if (!this.shuffle) return Array.from({ length: this.records.length }, (_, i) => i);
    return seededPermutation(this.records.length, this.seed + epoch);
  }
}
