/** Reading llama.cpp's next-token probability map (sorted, most probable first) as log-probs. */
import type { Token } from 'node-llama-cpp';

/** `[id, logprob]` of each wanted id (-Infinity, sent as null, for an id outside the vocabulary). */
export function lookUp(probabilities: ReadonlyMap<Token, number> | undefined, ids: readonly number[]): Array<[number, number]> {
  return ids.map((id) => [id, Math.log(probabilities?.get(id as Token) ?? 0)]);
}

/** The first `k` entries of llama.cpp's probability map (already sorted, most probable first). */
export function firstEntries(probabilities: ReadonlyMap<Token, number> | undefined, k: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (!probabilities) return out;
  for (const [token, p] of probabilities) {
    if (out.length >= k) break;
    out.push([token, Math.log(p)]);
  }
  return out;
}
