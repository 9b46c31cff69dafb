/**
 * Trainer batches: micro-batches packed by token budget, dealt to data-parallel ranks so every
 * rank runs the same number of micro-batches (pipeline parallelism requires it). slime's
 * dp_schedule: pack first, distribute second.
 *
 * Packing is first-fit decreasing: samples longest first, each into the first micro-batch with
 * room under `maxTokensPerGpu`; a sample longer than the budget gets a micro-batch of its own.
 * The count is then raised to a multiple of `dpSize` by splitting the fullest multi-sample
 * micro-batches; only when nothing can be split are empty micro-batches added. Micro-batches
 * go to ranks largest first, each to the rank with the fewest tokens that still has room.
 */
import { InvalidInputError } from '../protocol/errors.ts';
import type { Sample } from '../protocol/sample.ts';
import type { PackedArrays } from './sample-codec.ts';

export interface BatchSample {
  sample: Sample;
  advantage: number | null;
  /** Typed-array copies of the per-token arrays (buffer samples have them); used when present. */
  packed?: PackedArrays;
}

export interface MicroBatch {
  samples: BatchSample[];
  tokens: number;
}

export interface TrainerBatch {
  step: number;
  dpSize: number;
  maxTokensPerGpu: number;
  /** ranks[r] holds rank r's micro-batches; every rank has the same count. */
  ranks: MicroBatch[][];
  /** Samples longer than maxTokensPerGpu (each alone in its micro-batch). */
  oversized: number;
  /** Empty micro-batches added because there were fewer samples than dpSize needs. */
  padding: number;
}

export interface BuildTrainerBatchOptions {
  maxTokensPerGpu: number;
  dpSize: number;
  step?: number;
}

function splitFullest(bins: MicroBatch[]): boolean {
  let best = -1;
  bins.forEach((b, i) => {
    if (b.samples.length > 1 && (best < 0 || b.tokens > bins[best]!.tokens)) best = i;
  });
  if (best < 0) return false;
  const bin = bins[best]!;
  // Alternate samples (they are sorted longest first) so both halves carry similar token counts.
  const keep = bin.samples.filter((_, i) => i % 2 === 0);
  const moved = bin.samples.filter((_, i) => i % 2 === 1);
  const count = (xs: BatchSample[]) => xs.reduce((n, s) => n + s.sample.tokens.length, 0);
  bins[best] = { samples: keep, tokens: count(keep) };
  bins.push({ samples: moved, tokens: count(moved) });
  return true;
}

/** Pack samples (those with advantage null are left out) into per-rank micro-batches. */
export function buildTrainerBatch(samples: readonly BatchSample[], options: BuildTrainerBatchOptions): TrainerBatch {
  const { maxTokensPerGpu, dpSize, step = 0 } = options;
  if (!Number.isInteger(maxTokensPerGpu) || maxTokensPerGpu < 1)
    throw new InvalidInputError(`maxTokensPerGpu must be a positive integer, got ${String(maxTokensPerGpu)}`);
  if (!Number.isInteger(dpSize) || dpSize < 1) throw new InvalidInputError(`dpSize must be a positive integer, got ${String(dpSize)}`);

  const trainable = samples.filter((s) => s.advantage !== null);
  const order = [...trainable].sort((a, b) => b.sample.tokens.length - a.sample.tokens.length);
  const bins: MicroBatch[] = [];
  let oversized = 0;
  for (const item of order) {
    const length = item.sample.tokens.length;
    if (length > maxTokensPerGpu) {
      oversized++;
      bins.push({ samples: [item], tokens: length });
      continue;
    }
    const bin = bins.find((b) => b.tokens + length <= maxTokensPerGpu);
    if (bin) {
      bin.samples.push(item);
      bin.tokens += length;
    } else bins.push({ samples: [item], tokens: length });
  }
  while (bins.length % dpSize !== 0 || bins.length === 0) {
    if (bins.length === 0 || !splitFullest(bins)) break;
  }
  let padding = 0;
  while (bins.length === 0 || bins.length % dpSize !== 0) {
    bins.push({ samples: [], tokens: 0 });
    padding++;
  }

  const perRank = bins.length / dpSize;
  const ranks: MicroBatch[][] = Array.from({ length: dpSize }, () => []);
  const load = new Array<number>(dpSize).fill(0);
  for (const bin of [...bins].sort((a, b) => b.tokens - a.tokens)) {
    let target = -1;
    for (let r = 0; r < dpSize; r++) {
      if (ranks[r]!.length < perRank && (target < 0 || load[r]! < load[target]!)) target = r;
    }
    ranks[target]!.push(bin);
    load[target]! += bin.tokens;
  }
  return { step, dpSize, maxTokensPerGpu, ranks, oversized, padding };
}
