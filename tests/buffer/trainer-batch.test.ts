import { describe, expect, it } from 'vitest';
import { buildTrainerBatch, type BatchSample } from '../../src/buffer/pack.ts';
import { packArrays } from '../../src/buffer/sample-codec.ts';
import { decodeTrainerBatch, encodeTrainerBatch } from '../../src/buffer/wire.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { makeSample } from './make-sample.ts';

const item = (index: number, total: number, advantage: number | null = 1, response = 2): BatchSample => ({
  sample: Sample.parse(makeSample(index, { promptTokens: total - response, responseTokens: response })),
  advantage,
});
const lengths = (mbs: { samples: BatchSample[] }[]) => mbs.map((mb) => mb.samples.map((s) => s.sample.tokens.length));

describe('buildTrainerBatch', () => {
  it('packs first-fit decreasing under the token budget', () => {
    const batch = buildTrainerBatch([item(1, 3), item(2, 6), item(3, 5), item(4, 4), item(5, 2)], { maxTokensPerGpu: 10, dpSize: 1 });
    // sorted 6,5,4,3,2: 6 -> A; 5 -> B; 4 -> A (10); 3 -> B (8); 2 -> B (10)
    expect(lengths(batch.ranks[0]!)).toEqual([
      [6, 4],
      [5, 3, 2],
    ]);
    expect(batch.ranks[0]!.map((mb) => mb.tokens)).toEqual([10, 10]);
  });

  it('gives an oversized sample its own micro-batch and counts it', () => {
    const batch = buildTrainerBatch([item(1, 30), item(2, 4), item(3, 4)], { maxTokensPerGpu: 10, dpSize: 1 });
    expect(lengths(batch.ranks[0]!)).toEqual([[30], [4, 4]]);
    expect(batch.oversized).toBe(1);
  });

  it('every rank gets the same number of micro-batches, each sample exactly once, tokens balanced', () => {
    const items = [9, 8, 7, 6, 5, 4, 3, 3, 2, 2].map((n, i) => item(i, n));
    for (const dpSize of [1, 2, 3, 4]) {
      const batch = buildTrainerBatch(items, { maxTokensPerGpu: 12, dpSize });
      const counts = batch.ranks.map((r) => r.length);
      expect(new Set(counts).size).toBe(1);
      const seen = batch.ranks.flat().flatMap((mb) => mb.samples.map((s) => s.sample.index));
      expect(seen.sort((a, b) => a - b)).toEqual(items.map((s) => s.sample.index));
      for (const mb of batch.ranks.flat()) expect(mb.tokens).toBeLessThanOrEqual(12);
      expect(batch.padding).toBe(0);
    }
  });

  it('splits micro-batches rather than adding empty ones, and pads only when samples run out', () => {
    const split = buildTrainerBatch([item(1, 2), item(2, 2), item(3, 2)], { maxTokensPerGpu: 100, dpSize: 2 });
    expect(split.ranks.map((r) => r.length)).toEqual([1, 1]);
    expect(split.padding).toBe(0);
    const padded = buildTrainerBatch([item(1, 2)], { maxTokensPerGpu: 100, dpSize: 3 });
    expect(padded.ranks.map((r) => r.map((mb) => mb.samples.length))).toEqual([[1], [0], [0]]);
    expect(padded.padding).toBe(2);
  });

  it('leaves out samples without an advantage and rejects bad settings by name', () => {
    const batch = buildTrainerBatch([item(1, 4), item(2, 4, null)], { maxTokensPerGpu: 100, dpSize: 1 });
    expect(batch.ranks.flat().flatMap((mb) => mb.samples.map((s) => s.sample.index))).toEqual([1]);
    expect(() => buildTrainerBatch([], { maxTokensPerGpu: 0, dpSize: 1 })).toThrow(/maxTokensPerGpu must be a positive integer, got 0/);
    expect(() => buildTrainerBatch([], { maxTokensPerGpu: 5, dpSize: 1.5 })).toThrow(/dpSize must be a positive integer, got 1.5/);
  });
});

describe('trainer-batch wire', () => {
  const items = [item(1, 7, 0.5, 3), item(2, 5, -0.25, 4), item(3, 6, 1.5, 2)];

  it('round-trips every array, from JS arrays and from packed arrays alike', () => {
    const batch = buildTrainerBatch(items, { maxTokensPerGpu: 12, dpSize: 2, step: 9 });
    const frame = encodeTrainerBatch(batch);
    const packedFrame = encodeTrainerBatch({
      ...batch,
      ranks: batch.ranks.map((r) => r.map((mb) => ({ ...mb, samples: mb.samples.map((s) => ({ ...s, packed: packArrays(s.sample) })) }))),
    });
    expect(Buffer.from(packedFrame).equals(Buffer.from(frame))).toBe(true);

    const decoded = decodeTrainerBatch(frame);
    expect(decoded.header).toMatchObject({ format: 'physarum.trainer-batch', version: 1, step: 9, dpSize: 2, maxTokensPerGpu: 12 });
    expect(decoded.header.totals).toEqual({ samples: 3, tokens: 18 });
    batch.ranks.forEach((rank, r) =>
      rank.forEach((mb, m) => {
        const arrays = decoded.ranks[r]![m]!;
        const ss = mb.samples.map((s) => s.sample);
        expect(Array.from(arrays.tokens)).toEqual(ss.flatMap((s) => s.tokens));
        expect(Array.from(arrays.lossMask)).toEqual(ss.flatMap((s) => s.lossMask));
        expect(Array.from(arrays.rolloutLogProbs)).toEqual(ss.flatMap((s) => s.rolloutLogProbs));
        expect(Array.from(arrays.advantages)).toEqual(mb.samples.map((s) => s.advantage));
        expect(Array.from(arrays.promptLengths)).toEqual(ss.map((s) => s.tokens.length - s.responseLength));
        expect(Array.from(arrays.cuSeqlens)).toEqual(ss.reduce((cu, s) => [...cu, cu.at(-1)! + s.tokens.length], [0]));
        expect(decoded.header.ranks[r]!.microBatches[m]!.rolloutIds).toEqual(ss.map((s) => s.rolloutId));
        for (const ref of Object.values(decoded.header.ranks[r]!.microBatches[m]!.arrays)) expect(ref.offset % 8).toBe(0);
      }),
    );
  });

  it('refuses indexes that do not fit int32 rather than wrapping them', () => {
    const big = { ...items[0]!, sample: { ...items[0]!.sample, index: 2 ** 31 } };
    expect(() => encodeTrainerBatch(buildTrainerBatch([big], { maxTokensPerGpu: 12, dpSize: 1 }))).toThrow(/index 2147483648 .* int32/);
  });

  it('is deterministic (padding is zeroed)', () => {
    const batch = buildTrainerBatch(items, { maxTokensPerGpu: 12, dpSize: 1 });
    expect(Buffer.from(encodeTrainerBatch(batch)).equals(Buffer.from(encodeTrainerBatch(batch)))).toBe(true);
  });

  it('names what is wrong with a bad frame', () => {
    const frame = encodeTrainerBatch(buildTrainerBatch(items, { maxTokensPerGpu: 12, dpSize: 1 }));
    expect(() => decodeTrainerBatch(new Uint8Array([1, 2, 3]))).toThrow(/expected magic PHTB/);
    expect(() => decodeTrainerBatch(frame.subarray(0, frame.byteLength - 8))).toThrow(/runs past the frame/);
    const huge = frame.slice();
    new DataView(huge.buffer).setUint32(4, 1e9, true);
    expect(() => decodeTrainerBatch(huge)).toThrow(expect.objectContaining({ code: 'PHYSARUM_WIRE', message: expect.stringMatching(/header length 1000000000/) }));
  });
});
