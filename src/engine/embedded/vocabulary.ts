/** What the engine needs to know about a loaded model's vocabulary. */
import type { LlamaModel } from 'node-llama-cpp';

/**
 * The ids that end generation unless `ignore_eos`: the GGUF's EOS and EOT, plus `<|endoftext|>`
 * (Qwen's generation_config lists both it and `<|im_end|>`). llama.cpp's own end-of-generation
 * set is wider (it guesses from token text, e.g. `<|file_sep|>`), which SGLang does not do.
 */
export function endOfGenerationTokens(model: LlamaModel): number[] {
  const ids = new Set<number>();
  for (const id of [model.tokens.eos, model.tokens.eot]) if (id !== null) ids.add(id);
  const endOfText = model.tokenize('<|endoftext|>', true);
  if (endOfText.length === 1 && model.isSpecialToken(endOfText[0])) ids.add(endOfText[0]!);
  return [...ids];
}

/** Vocabulary size from the GGUF's token list (read once at load; no per-token native calls). */
export function countTokens(model: LlamaModel): number {
  const tokens = (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } }).tokenizer?.ggml?.tokens;
  return tokens?.length ?? 0;
}
