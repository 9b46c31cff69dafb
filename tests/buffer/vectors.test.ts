import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeSample } from '../../src/buffer/sample-codec.ts';
import { decodeTrainerBatch } from '../../src/buffer/wire.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { batchVector, batchVectors, sampleVectorJson, sampleVectors, vectorsDir } from './vectors.ts';

const read = (file: string) => readFileSync(path.join(vectorsDir, file));

describe('shared Sample vectors', () => {
  for (const name of Object.keys(sampleVectors)) {
    it(`${name}.json is current and TS agrees with it`, () => {
      const text = read(`${name}.json`).toString('utf8');
      expect(text, 'run `npx tsx tests/buffer/vectors.ts` after changing a vector').toBe(sampleVectorJson(name));
      const vector = JSON.parse(text) as { valid: boolean; input: unknown; parsed?: unknown; error?: string };
      const result = Sample.safeParse(vector.input);
      if (vector.valid) {
        expect(result.success).toBe(true);
        expect(encodeSample(vector.input).sample).toEqual(vector.parsed);
      } else {
        expect(result.success).toBe(false);
        const messages = result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        expect(messages).toContain(vector.error);
        // The buffer's fast path rejects it too, naming the same field.
        expect(() => encodeSample(vector.input)).toThrow(vector.error);
      }
    });
  }
});

describe('shared trainer-batch vectors', () => {
  for (const name of Object.keys(batchVectors) as Array<keyof typeof batchVectors>) {
    it(`${name}.bin/.json are current and decode to the expected arrays`, () => {
      const { frame, expected } = batchVector(name);
      expect(Buffer.from(read(`${name}.bin`)).equals(Buffer.from(frame)), 'run `npx tsx tests/buffer/vectors.ts`').toBe(true);
      expect(read(`${name}.json`).toString('utf8')).toBe(expected);
      const want = JSON.parse(expected) as { ranks: Array<Array<Record<string, unknown[]>>> };
      const got = decodeTrainerBatch(new Uint8Array(read(`${name}.bin`)));
      got.ranks.forEach((rank, r) =>
        rank.forEach((arrays, m) => {
          for (const [key, value] of Object.entries(arrays)) expect(Array.from(value), `${key} of rank ${r} micro-batch ${m}`).toEqual(want.ranks[r]![m]![key]);
        }),
      );
    });
  }
});
