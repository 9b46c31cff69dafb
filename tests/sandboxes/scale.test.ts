// 32 sandboxes at once on a 2-core machine: all created under the create budget, all exec'ing
// concurrently, all isolated, all gone afterwards.
import { describe, expect, it } from 'vitest';
import { containersOfRun, eventually, testPools } from './fixtures/pool.ts';

const newPool = testPools('scale');

describe('scale', () => {
  it('runs 32 sandboxes at once', async () => {
    const pool = newPool({ budgets: { create: 4, exec: 32 } });
    const sandboxes = await Promise.all(Array.from({ length: 32 }, () => pool.acquire({ limits: { memoryMb: 256 } })));
    try {
      expect(new Set(sandboxes.map((s) => s.id)).size).toBe(32);
      expect((await containersOfRun(pool.runId)).filter((c) => c.State === 'running').length).toBe(32);
      const results = await Promise.all(sandboxes.map((s, i) => s.exec(`echo ${i} > mine.txt; sleep 0.5; cat mine.txt`)));
      expect(results.map((r) => r.stdout.trim())).toEqual(sandboxes.map((_, i) => String(i)));
    } finally {
      await pool.close();
    }
    expect(await eventually(async () => (await containersOfRun(pool.runId)).length === 0, 60_000)).toBe(true);
  });
});
