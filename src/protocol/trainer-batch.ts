/**
 * The trainer-batch wire record (contract 5 in docs/architecture.md): the frame layout and the
 * msgpack header that trainer/physarum_trainer/batch.py reads. The codec is src/buffer/wire.ts.
 *
 *   "PHTB" | uint32 LE header length | msgpack header | zero pad to 8 | data section
 */

/** The HTTP media type a trainer batch travels under. */
export const TRAINER_BATCH_MEDIA_TYPE = 'application/x-physarum-trainer-batch';

export const WIRE_MAGIC = 'PHTB';
export const WIRE_VERSION = 1;

export type WireDtype = 'int32' | 'uint8' | 'float32';
export interface ArrayRef {
  dtype: WireDtype;
  offset: number;
  length: number;
}

/** Per micro-batch arrays; response arrays are concatenated in sample order. */
export const MICRO_BATCH_ARRAYS = {
  tokens: 'int32', // all tokens of all samples, concatenated (THD packing)
  cuSeqlens: 'int32', // samples + 1 boundaries into `tokens`
  promptLengths: 'int32',
  responseLengths: 'int32',
  lossMask: 'uint8', // sum of responseLengths
  rolloutLogProbs: 'float32', // sum of responseLengths
  advantages: 'float32', // one per sample
  groupIndexes: 'int32',
  sampleIndexes: 'int32',
} as const satisfies Record<string, WireDtype>;
export type MicroBatchArrayName = keyof typeof MICRO_BATCH_ARRAYS;

export interface WireMicroBatch {
  samples: number;
  tokens: number;
  rolloutIds: string[];
  arrays: Record<MicroBatchArrayName, ArrayRef>;
}

export interface WireHeader {
  format: 'physarum.trainer-batch';
  version: number;
  step: number;
  dpSize: number;
  maxTokensPerGpu: number;
  /** Loss-mask totals are left to the reader (one vectorized sum there, a JS loop here). */
  totals: { samples: number; tokens: number };
  ranks: Array<{ microBatches: WireMicroBatch[] }>;
}
