/**
 * When does a generation finish, and what `text` does it report? SGLang's rules (docs/architecture.md, wire §1.4):
 * length is checked first; then EOS (unless `ignore_eos`) and `stop_token_ids` give
 * `{"type":"stop","matched":<id>}`; then stop strings give `{"type":"stop","matched":"<str>"}`.
 * Stops before `min_new_tokens` are ignored. `output_ids` keep the stop token; only `text` is
 * trimmed (special tokens skipped, a stop string cut unless `no_stop_trim`).
 */
import type { Tokenizer } from '../../chat/tokenizer.ts';
import type { ResolvedSampling } from './generate-batch.ts';
import type { FinishReason } from '../../protocol/sglang-types.ts';

export class FinishCheck {
  private readonly stopIds: Set<number>;
  private readonly eosIds: Set<number>;
  private decodedLength = 0;
  private matchedStop: { text: string; at: number } | undefined;

  constructor(
    private readonly sampling: ResolvedSampling,
    private readonly tokenizer: Tokenizer,
    eosTokenIds: readonly number[] = tokenizer.eosTokenIds,
  ) {
    this.stopIds = new Set(sampling.stopTokenIds);
    this.eosIds = new Set(eosTokenIds);
  }

  /** Call after appending each token; returns the finish reason once the output is complete. */
  afterToken(outputIds: readonly number[]): FinishReason | null {
    const count = outputIds.length;
    const { maxNewTokens, minNewTokens } = this.sampling;
    if (maxNewTokens !== null && count >= maxNewTokens) return { type: 'length', length: maxNewTokens };
    if (count < minNewTokens) return null;
    const last = outputIds[count - 1]!;
    if (this.stopIds.has(last) || (!this.sampling.ignoreEos && this.eosIds.has(last))) return { type: 'stop', matched: last };
    if (this.sampling.stop.length > 0) {
      // Stop strings are matched on the decoded text; only the new tail (plus overlap) is searched.
      const text = this.tokenizer.decode(outputIds, { skipSpecialTokens: this.sampling.skipSpecialTokens });
      for (const stop of this.sampling.stop) {
        if (stop === '') continue;
        const at = text.indexOf(stop, Math.max(0, this.decodedLength - stop.length));
        if (at !== -1) {
          this.matchedStop = { text: stop, at };
          return { type: 'stop', matched: stop };
        }
      }
      this.decodedLength = text.length;
    }
    return null;
  }

  /** The `text` field for these output ids (call with the final ids for the final text). */
  text(outputIds: readonly number[]): string {
    const text = this.tokenizer.decode(outputIds, { skipSpecialTokens: this.sampling.skipSpecialTokens });
    if (this.matchedStop && !this.sampling.noStopTrim) return text.slice(0, this.matchedStop.at);
    return text;
  }
}

/**
 * Deterministic stand-in log-probabilities: a function of (context, position) only, always ≤ 0,
 * so replays, tests and benches see identical numbers across runs and machines.
 */
export class DeterministicLogprobs {
  private hash: number;

  constructor(promptIds: readonly number[]) {
    let h = 0x811c9dc5;
    for (const id of promptIds) h = mix(h, id);
    this.hash = h;
  }

  /** The logprob of `tokenId` at output `position`; advances the context by that token. */
  next(tokenId: number, position: number): number {
    const value = mix(mix(this.hash, position), tokenId);
    this.hash = mix(this.hash, tokenId);
    return -((value % 100_000) / 100_000) * 4;
  }

  /** Logprobs of prompt positions (the first is always null upstream). */
  static forPrompt(promptIds: readonly number[], start: number): Array<number | null> {
    let h = 0x811c9dc5;
    const out: Array<number | null> = [];
    promptIds.forEach((id, position) => {
      if (position >= start) out.push(position === start ? null : -((mix(mix(h, position), id) % 100_000) / 100_000) * 4);
      h = mix(h, id);
    });
    return out;
  }
}

/** FNV-1a step over a 32-bit word. */
function mix(hash: number, value: number): number {
  let h = hash;
  for (let shift = 0; shift < 32; shift += 8) {
    h ^= (value >>> shift) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
