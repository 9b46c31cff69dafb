/**
 * Validation and storage encoding of Sample records on the ingest hot path.
 *
 * A 2k-token sample holds ~5k numbers; checking each through zod costs ~0.8 ms, which alone would
 * cap ingest below 1.3k samples/s. So zod checks every field except the three per-token arrays
 * (schema taken from `Sample.shape`, so new fields are picked up), and one tight loop per array
 * checks the elements while packing them. The cross-field rules mirror `Sample`'s refinement.
 *
 * Storage: everything but the arrays is JSON; the arrays are one blob,
 *   uint32 tokens[n] | float32 rolloutLogProbs[R] | uint8 lossMask[R]   (little-endian)
 * Log-probs are kept as float32: engines compute them in float32 and SGLang returns those values,
 * so they survive exactly; a value that is not float32-representable is rounded.
 */
import { z } from 'zod';
import { InvalidInputError } from '../protocol/errors.ts';
import { Sample, type SampleInput } from '../protocol/sample.ts';
import { BufferError } from './errors.ts';

// z.custom, not z.array(z.unknown()): the latter walks and copies every element.
const anArray = (name: string) => z.custom<unknown[]>(Array.isArray, { message: `${name} must be an array` });
const MetaFields = z.object({
  ...Sample.shape,
  tokens: anArray('tokens'),
  lossMask: anArray('lossMask'),
  rolloutLogProbs: anArray('rolloutLogProbs'),
});

export type SampleMeta = Omit<Sample, 'tokens' | 'lossMask' | 'rolloutLogProbs'>;

export interface EncodedSample {
  sample: Sample;
  meta: string;
  arrays: Buffer;
}

function describe(input: unknown, position: string): string {
  const id = (input as { rolloutId?: unknown } | null)?.rolloutId;
  return typeof id === 'string' ? `${position} (rolloutId ${JSON.stringify(id)})` : position;
}

/** Validate one sample (throws InvalidInputError naming the sample and field) and encode it for storage. */
export function encodeSample(input: SampleInput | unknown, position = 'sample'): EncodedSample {
  const parsed = MetaFields.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InvalidInputError(`${describe(input, position)} is not a valid Sample: ${issues}`);
  }
  const fields = parsed.data;
  const where = describe(fields, position);
  const tokens = fields.tokens as unknown[];
  const mask = fields.lossMask as unknown[];
  const logProbs = fields.rolloutLogProbs as unknown[];
  const n = tokens.length;
  const r = fields.responseLength;
  if (r > n) throw new InvalidInputError(`${where}: responseLength ${r} exceeds tokens.length ${n}`);
  if (mask.length !== r) throw new InvalidInputError(`${where}: lossMask has ${mask.length} entries, responseLength is ${r}`);
  if (logProbs.length !== r)
    throw new InvalidInputError(`${where}: rolloutLogProbs has ${logProbs.length} entries, responseLength is ${r}`);
  for (const span of fields.spans) {
    if (span.end < span.start || span.end > n)
      throw new InvalidInputError(`${where}: span [${span.start}, ${span.end}) is outside tokens (length ${n})`);
  }

  // Slow = never from the shared pool: the blob owns its ArrayBuffer and can move to the ingest worker.
  const arrays = Buffer.allocUnsafeSlow(4 * n + 5 * r);
  const tokenView = new Uint32Array(arrays.buffer, arrays.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const v = tokens[i] as number;
    // `>>> 0` round-trips only non-negative integers below 2^32: one check instead of three.
    if (v >>> 0 !== v) throw new InvalidInputError(`${where}: tokens[${i}] is ${String(v)}, expected a non-negative integer`);
    tokenView[i] = v;
  }
  const logProbView = new Float32Array(arrays.buffer, arrays.byteOffset + 4 * n, r);
  for (let i = 0; i < r; i++) {
    const v = logProbs[i] as number;
    if (!Number.isFinite(v)) throw new InvalidInputError(`${where}: rolloutLogProbs[${i}] is ${String(v)}, expected a finite number`);
    logProbView[i] = v;
  }
  const maskOffset = 4 * n + 4 * r;
  for (let i = 0; i < r; i++) {
    const v = mask[i];
    if (v !== 0 && v !== 1) throw new InvalidInputError(`${where}: lossMask[${i}] is ${String(v)}, expected 0 or 1`);
    arrays[maskOffset + i] = v;
  }

  const { tokens: _t, lossMask: _m, rolloutLogProbs: _l, ...rest } = fields;
  const sample = { ...rest, tokens: tokens as number[], lossMask: mask as Array<0 | 1>, rolloutLogProbs: logProbs as number[] };
  return { sample, meta: JSON.stringify(rest), arrays };
}

/**
 * A sample's per-token arrays as typed arrays: the in-memory form the buffer keeps next to the
 * Sample, because building trainer batches from typed arrays is bulk copies, while converting JS
 * number arrays costs ~10 ns per element.
 */
export interface PackedArrays {
  tokens: Uint32Array;
  logProbs: Float32Array;
  mask: Uint8Array;
}

/** Typed views over a stored blob (copied first when SQLite hands back an unaligned buffer). */
export function arrayViews(blob: Uint8Array, responseLength: number): PackedArrays {
  const n = (blob.byteLength - 5 * responseLength) / 4;
  if (!Number.isInteger(n) || n < responseLength)
    throw new BufferError(`stored sample arrays are ${blob.byteLength} bytes, which does not fit responseLength ${responseLength}`);
  const aligned = blob.byteOffset % 4 === 0 ? blob : new Uint8Array(blob);
  return {
    tokens: new Uint32Array(aligned.buffer, aligned.byteOffset, n),
    logProbs: new Float32Array(aligned.buffer, aligned.byteOffset + 4 * n, responseLength),
    mask: new Uint8Array(aligned.buffer, aligned.byteOffset + 4 * n + 4 * responseLength, responseLength),
  };
}

/** Rebuild the Sample from its stored row, with its packed arrays. */
export function decodeStored(meta: string, blob: Uint8Array): { sample: Sample; packed: PackedArrays } {
  const fields = JSON.parse(meta) as SampleMeta;
  const packed = arrayViews(blob, fields.responseLength);
  const sample = {
    ...fields,
    tokens: Array.from(packed.tokens),
    lossMask: Array.from(packed.mask) as Array<0 | 1>,
    rolloutLogProbs: Array.from(packed.logProbs),
  };
  return { sample, packed };
}

export function decodeSample(meta: string, blob: Uint8Array): Sample {
  return decodeStored(meta, blob).sample;
}

/** Packed arrays of an in-memory Sample (for batches built from samples that never were stored). */
export function packArrays(sample: Pick<Sample, 'tokens' | 'rolloutLogProbs' | 'lossMask'>): PackedArrays {
  return { tokens: Uint32Array.from(sample.tokens), logProbs: Float32Array.from(sample.rolloutLogProbs), mask: Uint8Array.from(sample.lossMask) };
}
