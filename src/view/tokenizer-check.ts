/**
 * Whether a tokenizer is the one the samples were made with: each sample's `response` is its
 * response ids decoded by the run's tokenizer, so another tokenizer decodes them differently (or
 * meets ids outside its vocabulary). `physarum view` warns instead of showing wrong token text.
 */
import type { Tokenizer } from '../chat/tokenizer.ts';
import type { Sample } from '../protocol/sample.ts';

/** A one-line warning, or undefined when the tokenizer reproduces every response checked. */
export function tokenizerWarning(tokenizer: Tokenizer, samples: readonly Sample[], checkAtMost = 50): string | undefined {
  let checked = 0;
  let mismatched = 0;
  let first: Sample | undefined;
  for (const sample of samples) {
    if (sample.responseLength === 0) continue;
    if (checked++ >= checkAtMost) break;
    const ids = sample.tokens.slice(sample.tokens.length - sample.responseLength);
    const outside = ids.some((id) => id >= tokenizer.vocabSize);
    let same = false;
    if (!outside) {
      try {
        same = tokenizer.decode(ids) === sample.response;
      } catch {
        same = false;
      }
    }
    if (!same) {
      mismatched++;
      first ??= sample;
    }
  }
  if (!first) return undefined;
  return `warning: --tokenizer does not fit these samples: ${mismatched} of ${Math.min(checked, checkAtMost)} responses decode differently (first: sample index ${first.index}); token text on the page may be wrong`;
}
