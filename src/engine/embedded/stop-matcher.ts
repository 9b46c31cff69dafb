/**
 * Stop strings and stop regexes, checked on the decoded tail of the output after each token
 * (SGLang checks the tail too, so a stop string that spans several tokens is found on the token
 * that completes it).
 */
import type { LlamaModel, Token } from 'node-llama-cpp';

export interface StopMatch {
  /** The stop string, or the text the regex matched. */
  matched: string;
}

export class StopMatcher {
  private readonly tailTokens: number;

  constructor(
    private readonly model: LlamaModel,
    private readonly stops: readonly string[],
    private readonly regexes: readonly RegExp[],
  ) {
    // A token decodes to at least one byte, so this many tokens always cover the longest stop
    // string; regexes get a generous window since their match length is unbounded.
    const longest = Math.max(0, ...stops.map((s) => Buffer.byteLength(s)));
    this.tailTokens = regexes.length > 0 ? 256 : longest + 4;
  }

  get active(): boolean {
    return this.stops.length > 0 || this.regexes.length > 0;
  }

  /** The stop that the output (ending with its newest token) now contains, if any. */
  check(outputIds: readonly number[]): StopMatch | undefined {
    if (!this.active) return undefined;
    const tail = this.model.detokenize(outputIds.slice(-this.tailTokens) as Token[], false);
    for (const stop of this.stops) if (stop !== '' && tail.includes(stop)) return { matched: stop };
    for (const regex of this.regexes) {
      const found = regex.exec(tail);
      if (found) return { matched: found[0] };
    }
    return undefined;
  }
}

/** The output text with a matched stop removed (SGLang trims unless `no_stop_trim`). */
export function trimAtStop(text: string, match: StopMatch): string {
  const at = text.indexOf(match.matched);
  return at === -1 ? text : text.slice(0, at);
}
