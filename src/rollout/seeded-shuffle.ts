/**
 * Deterministic shuffling for epochs: slime reshuffles each epoch with seed `rollout_seed + epoch`;
 * we do the same with a small counter-based PRNG so an order depends on (seed, epoch) only, not on
 * the platform or on how many random numbers were drawn elsewhere.
 */

/** mulberry32: 32-bit state, good enough to permute prompt orders, and bit-identical everywhere. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A permutation of 0..length-1 by Fisher–Yates under `mulberry32(seed)`. */
export function seededPermutation(length: number, seed: number): number[] {
  const order = Array.from({ length }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
