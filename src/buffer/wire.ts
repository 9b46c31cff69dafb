/**
 * Encodes and decodes the trainer-batch wire (the record is src/protocol/trainer-batch.ts), read by
 * trainer/physarum_trainer/batch.py.
 *
 *   "PHTB" | uint32 LE header length | msgpack header | zero pad to 8 | data section
 *
 * The header (msgpack map) holds the structure and, per micro-batch, where each array lies in the
 * data section: `{ dtype, offset, length }`, offsets relative to the data section and 8-aligned,
 * all little-endian. Numbers never travel as msgpack or JSON lists: numpy maps each array with
 * `frombuffer` and no copy. Why not plain msgpack with bin fields, or Arrow IPC: see
 * docs/data-buffer.md (bench/buffer.ts measures the choice).
 */
import { Packr, Unpackr } from 'msgpackr';
import { WireError } from './errors.ts';
import type { MicroBatch, TrainerBatch } from './pack.ts';
import {
  MICRO_BATCH_ARRAYS,
  WIRE_MAGIC,
  WIRE_VERSION,
  type ArrayRef,
  type MicroBatchArrayName,
  type WireDtype,
  type WireHeader,
  type WireMicroBatch,
} from '../protocol/trainer-batch.ts';

const INT32_MAX = 0x7fffffff;
const BYTES: Record<WireDtype, number> = { int32: 4, uint8: 1, float32: 4 };
const align8 = (n: number) => (n + 7) & ~7;
const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false });

export interface EncodeOptions {
  /**
   * Write into this buffer when it is large enough (the result is a view of it), else allocate.
   * A sender that reuses one target per rank avoids faulting in fresh pages for every batch.
   */
  target?: Uint8Array;
}

/** Encode a trainer batch: sizes first, then one buffer that every array is written into. */
export function encodeTrainerBatch(batch: TrainerBatch, options: EncodeOptions = {}): Uint8Array {
  let cursor = 0;
  const gaps: number[] = []; // [start, end) pairs of alignment padding, zeroed below
  const place = (dtype: WireDtype, length: number): ArrayRef => {
    const ref = { dtype, offset: cursor, length };
    const end = cursor + length * BYTES[dtype];
    cursor = align8(end);
    if (cursor > end) gaps.push(end, cursor);
    return ref;
  };
  const totals = { samples: 0, tokens: 0 };
  const layout = batch.ranks.map((rank) => ({
    microBatches: rank.map((mb): WireMicroBatch => {
      let tokens = 0;
      let response = 0;
      for (const { sample } of mb.samples) {
        tokens += sample.tokens.length;
        response += sample.responseLength;
      }
      const n = mb.samples.length;
      totals.samples += n;
      totals.tokens += tokens;
      const lengths: Record<MicroBatchArrayName, number> = {
        tokens, cuSeqlens: n + 1, promptLengths: n, responseLengths: n, lossMask: response,
        rolloutLogProbs: response, advantages: n, groupIndexes: n, sampleIndexes: n,
      };
      const arrays = Object.fromEntries(
        (Object.keys(MICRO_BATCH_ARRAYS) as MicroBatchArrayName[]).map((k) => [k, place(MICRO_BATCH_ARRAYS[k], lengths[k])]),
      ) as Record<MicroBatchArrayName, ArrayRef>;
      return { samples: n, tokens, rolloutIds: mb.samples.map((s) => s.sample.rolloutId), arrays };
    }),
  }));
  const header: WireHeader = {
    format: 'physarum.trainer-batch', version: WIRE_VERSION, step: batch.step, dpSize: batch.dpSize,
    maxTokensPerGpu: batch.maxTokensPerGpu, totals, ranks: layout,
  };
  const headerBytes = packr.pack(header);
  const dataStart = align8(8 + headerBytes.length);
  // Not zero-filled: every data byte is written below, so zeroing first would double the memory
  // traffic. Only the alignment gaps are zeroed (frames must be deterministic).
  const size = dataStart + cursor;
  const out: Uint8Array = options.target && options.target.byteLength >= size ? options.target.subarray(0, size) : Buffer.allocUnsafeSlow(size);
  out.set([0x50, 0x48, 0x54, 0x42]); // "PHTB"
  new DataView(out.buffer, out.byteOffset).setUint32(4, headerBytes.length, true);
  out.set(headerBytes, 8);
  out.fill(0, 8 + headerBytes.length, dataStart);
  for (let i = 0; i < gaps.length; i += 2) out.fill(0, dataStart + gaps[i]!, dataStart + gaps[i + 1]!);
  batch.ranks.forEach((rank, r) => rank.forEach((mb, m) => writeMicroBatch(out, dataStart, mb, layout[r]!.microBatches[m]!.arrays)));
  return out;
}

function writeMicroBatch(out: Uint8Array, base: number, mb: MicroBatch, refs: Record<MicroBatchArrayName, ArrayRef>): void {
  const view = <T>(Ctor: new (b: ArrayBuffer, o: number, l: number) => T, ref: ArrayRef) =>
    new Ctor(out.buffer as ArrayBuffer, out.byteOffset + base + ref.offset, ref.length);
  // Token ids are below 2^31, so their uint32 and int32 bytes agree: a Uint32Array view lets
  // packed tokens go in as a plain memcpy.
  const tokens = view(Uint32Array, refs.tokens);
  const cu = view(Int32Array, refs.cuSeqlens);
  const prompt = view(Int32Array, refs.promptLengths);
  const response = view(Int32Array, refs.responseLengths);
  const mask = view(Uint8Array, refs.lossMask);
  const logProbs = view(Float32Array, refs.rolloutLogProbs);
  const advantages = view(Float32Array, refs.advantages);
  const groups = view(Int32Array, refs.groupIndexes);
  const indexes = view(Int32Array, refs.sampleIndexes);
  let t = 0;
  let r = 0;
  mb.samples.forEach(({ sample, advantage, packed }, i) => {
    // Same-type TypedArray.set is a memcpy; from a JS array it converts element by element (~50x slower).
    tokens.set(packed?.tokens ?? sample.tokens, t);
    mask.set(packed?.mask ?? sample.lossMask, r);
    logProbs.set(packed?.logProbs ?? sample.rolloutLogProbs, r);
    cu[i] = t;
    t += sample.tokens.length;
    r += sample.responseLength;
    prompt[i] = sample.tokens.length - sample.responseLength;
    response[i] = sample.responseLength;
    advantages[i] = advantage ?? 0;
    if (sample.index > INT32_MAX || sample.groupIndex > INT32_MAX)
      throw new WireError(`sample ${sample.rolloutId}: index ${sample.index} / groupIndex ${sample.groupIndex} does not fit the wire's int32`);
    groups[i] = sample.groupIndex;
    indexes[i] = sample.index;
  });
  cu[mb.samples.length] = t;
}

export interface DecodedTrainerBatch {
  header: WireHeader;
  /** ranks[r][m][name]: typed-array views into the frame (no copies). */
  ranks: Array<Array<Record<MicroBatchArrayName, Int32Array | Uint8Array | Float32Array>>>;
}

/** Decode a frame (TS side; the trainer uses batch.py). Throws WireError naming what is wrong. */
export function decodeTrainerBatch(frame: Uint8Array): DecodedTrainerBatch {
  if (frame.byteLength < 8 || String.fromCharCode(...frame.subarray(0, 4)) !== WIRE_MAGIC)
    throw new WireError(`not a trainer-batch frame: expected magic ${WIRE_MAGIC}`);
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4, true);
  if (8 + headerLength > frame.byteLength) throw new WireError(`header length ${headerLength} runs past the frame (${frame.byteLength} bytes)`);
  const header = unpackr.unpack(frame.subarray(8, 8 + headerLength)) as WireHeader;
  if (header.format !== 'physarum.trainer-batch' || header.version !== WIRE_VERSION)
    throw new WireError(`unsupported trainer-batch format ${String(header.format)} version ${String(header.version)}; this build reads version ${WIRE_VERSION}`);
  const base = align8(8 + headerLength);
  const aligned = (frame.byteOffset + base) % 8 === 0 ? frame : frame.slice();
  const ctor = { int32: Int32Array, uint8: Uint8Array, float32: Float32Array } as const;
  const ranks = header.ranks.map((rank) =>
    rank.microBatches.map((mb) => {
      const entries = Object.entries(mb.arrays).map(([name, ref]) => {
        if (!(ref.dtype in ctor)) throw new WireError(`array ${name} has unknown dtype ${String(ref.dtype)}`);
        const end = base + ref.offset + ref.length * BYTES[ref.dtype];
        if (end > aligned.byteLength) throw new WireError(`array ${name} runs past the frame (${end} > ${aligned.byteLength} bytes)`);
        return [name, new ctor[ref.dtype](aligned.buffer as ArrayBuffer, aligned.byteOffset + base + ref.offset, ref.length)];
      });
      return Object.fromEntries(entries) as Record<MicroBatchArrayName, Int32Array | Uint8Array | Float32Array>;
    }),
  );
  return { header, ranks };
}
