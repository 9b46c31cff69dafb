/**
 * Partial rollout resumes a sample that an older policy started. With
 * `maskOffPolicyInPartialRollout` (slime `--mask-offpolicy-in-partial-rollout`) the response
 * tokens generated before the resume get loss mask 0: they are kept as context, not trained on.
 * We mask only what really came from another weight version: when the engine reported the same
 * weight_version before and after the cut, the prefix is on-policy and stays trainable.
 */
import type { Sample } from '../protocol/sample.ts';

export interface MaskResult {
  samples: Sample[];
  maskedTokens: number;
}

/**
 * For each resumed sample, find the partial sample it continues (same rolloutId and forkIndex)
 * and zero the loss mask over the partial's response length. A resumed sample whose tokens do
 * not start with the partial's tokens restarted from scratch and is left alone.
 */
export function maskStalePrefix(partials: readonly Sample[], resumed: readonly Sample[]): MaskResult {
  let maskedTokens = 0;
  const samples = resumed.map((sample) => {
    const partial = partials.find((p) => p.rolloutId === sample.rolloutId && p.forkIndex === sample.forkIndex && p.status === 'aborted');
    if (!partial || partial.responseLength === 0) return sample;
    const samePrompt = sample.tokens.length - sample.responseLength === partial.tokens.length - partial.responseLength;
    if (!samePrompt || !startsWith(sample.tokens, partial.tokens) || sample.responseLength < partial.responseLength) return sample;
    if (!policyChanged(partial, sample)) return sample;
    const lossMask = [...sample.lossMask];
    let masked = 0;
    for (let i = 0; i < partial.responseLength; i++) {
      if (lossMask[i] === 1) masked++;
      lossMask[i] = 0;
    }
    maskedTokens += masked;
    const previous = typeof sample.metadata.offPolicyMaskedTokens === 'number' ? sample.metadata.offPolicyMaskedTokens : 0;
    return { ...sample, lossMask, metadata: { ...sample.metadata, offPolicyMaskedTokens: previous + masked } };
  });
  return { samples, maskedTokens };
}

function startsWith(tokens: readonly number[], prefix: readonly number[]): boolean {
  if (prefix.length > tokens.length) return false;
  for (let i = 0; i < prefix.length; i++) if (tokens[i] !== prefix[i]) return false;
  return true;
}

/**
 * True unless both sides name their weight versions and every version in the partial equals the
 * version of the resumed part's last call. Unknown versions count as changed (slime's behaviour).
 */
function policyChanged(partial: Sample, resumed: Sample): boolean {
  const current = resumed.weightVersions.at(-1);
  if (current === undefined || partial.weightVersions.length === 0) return true;
  return partial.weightVersions.some((version) => version !== current);
}
