/**
 * Whether a tokenizer fits a model: every id it can produce (its vocabulary, its special tokens
 * such as `<|im_start|>`, its EOS) must be inside the model's vocabulary. A tokenizer of another
 * model family makes every sample fail with "token id ... outside the vocabulary", so the run
 * checks once at start and stops with one line instead. The model's vocabulary size comes from
 * the engine's `/model_info` (`vocab_size`, which the embedded engine reads from the GGUF);
 * an engine that does not report it is not checked.
 */
import { TokenizerError, type Tokenizer } from '../chat/tokenizer.ts';
import type { ModelInfo } from '../protocol/sglang-types.ts';

/** A one-line description of the mismatch, or undefined when the tokenizer fits `vocabSize`. */
export function tokenizerMismatch(tokenizer: Tokenizer, vocabSize: number): string | undefined {
  const special = (tokenizer.specialTokens ?? [])
    .map((token) => ({ token, id: tokenizer.tokenToId(token) }))
    .filter((t): t is { token: string; id: number } => t.id !== undefined);
  const largest = Math.max(tokenizer.vocabSize - 1, ...special.map((t) => t.id), ...tokenizer.eosTokenIds);
  if (largest < vocabSize) return undefined;
  // The special tokens the chat template writes are what every request would carry.
  const outside = special.filter((t) => t.id >= vocabSize).sort((a, b) => a.id - b.id)[0];
  const example = outside ? ` (special token ${outside.token} = ${outside.id} among them)` : '';
  return `the tokenizer does not fit the model: its ids reach ${largest}${example} but the model's vocabulary has ${vocabSize} tokens; pass the model's own tokenizer`;
}

/** The model's vocabulary size as `/model_info` reports it, when it does. */
export function reportedVocabSize(info: ModelInfo): number | undefined {
  const size = info.vocab_size;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : undefined;
}

/** Throws a `TokenizerError` (one line) when the engine reports a vocabulary the tokenizer does not fit. */
export function checkTokenizerFits(tokenizer: Tokenizer, info: ModelInfo, engine: string): void {
  const size = reportedVocabSize(info);
  const mismatch = size === undefined ? undefined : tokenizerMismatch(tokenizer, size);
  if (mismatch) throw new TokenizerError(`${engine}: ${mismatch}`);
}
