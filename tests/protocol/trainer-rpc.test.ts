import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REQUEST_RECORDS } from '../../src/protocol/trainer-rpc.ts';
import { rpcVectorsJson, rpcVectorsPath } from './trainer-rpc-vectors.ts';

describe('shared trainer-rpc vectors', () => {
  const text = readFileSync(rpcVectorsPath, 'utf8');
  it('tests/vectors/trainer-rpc.json is current', () => {
    expect(text, 'run `npx tsx tests/protocol/trainer-rpc-vectors.ts`').toBe(rpcVectorsJson());
  });
  const { cases } = JSON.parse(text) as { cases: Array<{ record: keyof typeof REQUEST_RECORDS; description: string; valid: boolean; input: unknown; parsed?: unknown; error?: string }> };
  for (const c of cases) {
    it(`${c.record}: ${c.description}`, () => {
      const result = REQUEST_RECORDS[c.record].safeParse(c.input);
      expect(result.success).toBe(c.valid);
      if (c.valid) expect(result.data).toEqual(c.parsed);
      else {
        const paths = result.error!.issues.flatMap((i) => {
          const own = i.path.join('.');
          // zod reports an unknown key under its parent with the key in `keys`.
          const keys = 'keys' in i ? (i.keys as string[]).map((k) => [own, k].filter(Boolean).join('.')) : [];
          return [own, ...keys];
        });
        expect(paths.some((p) => p === c.error || p.startsWith(`${c.error!}`))).toBe(true);
      }
    });
  }
});
