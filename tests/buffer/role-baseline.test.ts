// Role-conditioned advantage estimation (RAE): per-(env, role) running baselines in the Data
// Buffer, on a seeded zero-sum toy where one seat has an edge, against plain normalization.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataBuffer, type DataBufferOptions } from '../../src/buffer/data-buffer.ts';
import { updateBaselines } from '../../src/buffer/role-baseline.ts';
import type { SampleInput } from '../../src/protocol/sample.ts';
import { mulberry32 } from '../../src/rollout/seeded-shuffle.ts';
import { makeSample } from './make-sample.ts';

/** One episode of a two-seat game: each seat's sample, sharing the rolloutId. */
function hand(groupIndex: number, n: number, rewards: [number, number], extra: Partial<SampleInput> = {}): SampleInput[] {
  return [
    makeSample(n * 2, { groupIndex, rolloutId: `h${n}`, agent: 'player0', reward: rewards[0], ...extra }),
    makeSample(n * 2 + 1, { groupIndex, rolloutId: `h${n}`, agent: 'player1', reward: rewards[1], ...extra }),
  ];
}

/**
 * A seeded toy: player 1 wins 70% of hands (+1 / -1, zero-sum), 8 hands per step, each hand its
 * own group (self-play plays every deal once). Returns player 1's mean advantage per step.
 */
async function favouredSeatAdvantages(options: DataBufferOptions, steps = 40): Promise<{ means: number[]; buffer: DataBuffer }> {
  const buffer = DataBuffer.open(':memory:', { filters: {}, ...options });
  const rand = mulberry32(2024);
  const means: number[] = [];
  let n = 0;
  for (let step = 0; step < steps; step++) {
    for (let g = 0; g < 8; g++, n++) {
      const seat1Wins = rand() < 0.7;
      await buffer.ingest(hand(n, n, seat1Wins ? [-1, 1] : [1, -1]));
    }
    const batch = await buffer.takeBatch({ step, groups: 8 });
    const favoured = batch.samples.filter((t) => t.sample.agent === 'player1').map((t) => t.advantage!);
    expect(favoured).toHaveLength(8);
    means.push(favoured.reduce((a, b) => a + b, 0) / favoured.length);
  }
  return { means, buffer };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('RAE: role-conditioned advantages', () => {
  it('the update is decay * baseline + (1 - decay) * the role batch mean; absent roles keep theirs', () => {
    const first = updateBaselines({}, [{ key: '/a', reward: 1 }, { key: '/a', reward: 0 }, { key: '/b', reward: -1 }], 0.9);
    expect(first['/a']!.value).toBeCloseTo(0.05, 12);
    expect(first['/b']!.value).toBeCloseTo(-0.1, 12);
    expect(first['/b']!.batches).toBe(1);
    const second = updateBaselines(first, [{ key: '/a', reward: 1 }], 0.9);
    expect(second['/a']!.value).toBeCloseTo(0.9 * 0.05 + 0.1, 12);
    expect(second['/b']).toEqual(first['/b']);
  });

  it("on a seeded game with an edge: raw rewards stay off-centre for the favoured seat, RAE's advantages centre near 0, group-of-one GRPO has no signal", async () => {
    const raw = await favouredSeatAdvantages({ normalization: 'none' });
    const rae = await favouredSeatAdvantages({ advantage: { estimator: 'rae', decay: 0.8 } });
    const grpo = await favouredSeatAdvantages({ normalization: 'grpo' });
    const late = (m: number[]) => mean(m.slice(20));
    if (process.env.RAE_REPORT) console.log(`late mean advantage of the favoured seat: raw ${late(raw.means)}, rae ${late(rae.means)}, grpo ${late(grpo.means)}`);
    // The edge is 0.4 per hand (0.7 - 0.3): raw advantages keep it.
    expect(late(raw.means)).toBeGreaterThan(0.25);
    // RAE learns the seat's edge as its baseline and measures each hand against it.
    expect(Math.abs(late(rae.means))).toBeLessThan(0.12);
    expect(Math.abs(late(rae.means))).toBeLessThan(late(raw.means) / 3);
    const baselines = rae.buffer.roleBaselines();
    expect(baselines['/player1']!.value).toBeGreaterThan(0.25);
    expect(baselines['/player0']!.value).toBeCloseTo(-baselines['/player1']!.value, 12);
    expect(baselines['/player1']!.batches).toBe(40);
    // Early on the baseline starts at 0, so the first steps still carry the edge.
    expect(rae.means[0]).toBeGreaterThan(late(rae.means));
    // Each deal is played once, so per-group normalization centres every rollout on itself: all 0.
    expect(grpo.means.every((m) => m === 0)).toBe(true);
    for (const r of [raw, rae, grpo]) await r.buffer.close();
  });

  it('subtracts the updated baseline, counts a forked rollout once, leaves failures out, and separates envs', async () => {
    const buffer = DataBuffer.open(':memory:', { advantage: { estimator: 'rae', decay: 0.5 } });
    const fork = (s: SampleInput, forkIndex: number): SampleInput => ({ ...s, index: s.index + 50, forkIndex });
    const [a0, a1] = hand(0, 0, [1, 0]);
    await buffer.ingest([a0!, fork(a0!, 1), a1!]);
    await buffer.ingest([...hand(1, 1, [0, 1]).map((s, i) => (i === 1 ? { ...s, status: 'env_error' as const, reward: null } : s))]);
    await buffer.ingest(hand(2, 2, [1, 1], { metadata: { env: 'critic' } }));
    const batch = await buffer.takeBatch({ step: 0, groups: 3 });
    // player0 in env '': rollouts h0 (1, forked: counted once) and h1 (0) -> mean 0.5 -> baseline 0.25.
    // player1 in env '': h0 (0) only; h1's env_error is excluded -> baseline 0. Env 'critic': 0.5 each.
    expect(batch.baselines).toEqual({ '/player0': 0.25, '/player1': 0, 'critic/player0': 0.5, 'critic/player1': 0.5 });
    expect(batch.samples.map((t) => [t.sample.rolloutId, t.sample.agent, t.advantage])).toEqual([
      ['h0', 'player0', 0.75], ['h0', 'player0', 0.75], ['h0', 'player1', 0],
      ['h1', 'player0', -0.25],
      ['h2', 'player0', 0.5], ['h2', 'player1', 0.5],
    ]);
    expect(batch.excluded.map((t) => [t.sample.rolloutId, t.excluded])).toEqual([['h1', 'infrastructure']]);
    await buffer.close();
  });

  it('baselines are durable: a replayed step gets the same advantages, and a reopened buffer continues from its baselines', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rae-')), 'buffer.sqlite');
    const options: DataBufferOptions = { advantage: { estimator: 'rae', decay: 0.5 } };
    let buffer = DataBuffer.open(file, options);
    await buffer.ingest(hand(0, 0, [0, 1]));
    const step0 = await buffer.takeBatch({ step: 0, groups: 1 });
    await buffer.ingest(hand(1, 1, [0, 1]));
    await buffer.takeBatch({ step: 1, groups: 1 });
    await buffer.close();

    buffer = DataBuffer.open(file, options);
    expect(buffer.roleBaselines()['/player1']).toEqual({ value: 0.75, batches: 2 });
    // Step 0 replayed after two updates still subtracts the baseline it used then (0.5).
    const again = await buffer.takeBatch({ step: 0, groups: 1 });
    expect(again.replayed).toBe(true);
    expect(again.samples.map((t) => t.advantage)).toEqual(step0.samples.map((t) => t.advantage));
    expect(again.samples.map((t) => t.advantage)).toEqual([0, 0.5]);
    expect(buffer.stepBatch(0).samples.map((t) => t.advantage)).toEqual([0, 0.5]);
    await buffer.ingest(hand(2, 2, [0, 1]));
    const step2 = await buffer.takeBatch({ step: 2, groups: 1 });
    expect(step2.baselines!['/player1']).toBe(0.875);
    expect(buffer.roleBaselines()['/player1']!.batches).toBe(3);
    await buffer.close();
  });

  it('rejects a bad estimator or decay, naming it', () => {
    expect(() => DataBuffer.open(':memory:', { advantage: { estimator: 'rae', decay: 1 } })).toThrow('advantage.decay must be in [0, 1), got 1');
    expect(() => DataBuffer.open(':memory:', { advantage: { estimator: 'ppo' } as never })).toThrow("advantage.estimator must be 'group' or 'rae', got 'ppo'");
  });
});
