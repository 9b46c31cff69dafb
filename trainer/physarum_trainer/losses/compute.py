"""``compute_loss``: the one loss entry point both backends call, once per micro-batch.

Total loss = pg_loss + kl.coef · kl_loss − entropy_coef · entropy_loss   (+ sft_loss for "sft",
whose pg_loss is 0). The policy's "old" log-probs are the rollout log-probs in the batch (one
optimizer step per rollout batch, no extra forward). With TIS on, the train/rollout mismatch is
carried by the TIS weight instead, so the ratio's "old" becomes the trainer's own detached log-probs
(ratio value 1, gradient ∇logp) — otherwise the mismatch would be corrected twice.

Additivity: every returned value (loss and metrics) is this micro-batch's SHARE of the step's value,
already divided by the step totals ``batch_tokens`` / ``batch_sequences`` (see aggregate.py), so the
caller SUMS losses (gradient accumulation) and metrics over micro-batches and ranks, never averages.
Loss parts use ``config.aggregation``; diagnostic metrics (clipfrac*, approx_kl, entropy,
train_rollout_logprob_abs_diff, tis_*, mis_dropfrac) are always token means over trainable tokens.
"""

from __future__ import annotations

import torch

from ..errors import InvalidInputError
from .aggregate import aggregate, segment_sum, sequence_index, token_mean
from .config import LossConfig
from .correction import mis_keep, mismatch_log_ratio, tis_weights
from .kl import kl_estimate
from .policy import cispo, gspo_log_ratio, ppo_clip, reinforce, sft


def _check_shapes(n: int, named: dict[str, torch.Tensor | None], response_lengths: torch.Tensor) -> None:
    for name, t in named.items():
        if t is not None and t.shape != (n,):
            raise InvalidInputError(f"{name} must have shape [{n}] like new_logp, got {tuple(t.shape)}")
    total = int(response_lengths.sum()) if response_lengths.numel() else 0
    if total != n or bool((response_lengths < 0).any()):
        raise InvalidInputError(f"response_lengths sum to {total} but there are {n} response tokens")


def compute_loss(
    new_logp: torch.Tensor,
    rollout_logp: torch.Tensor,
    advantages: torch.Tensor,
    loss_mask: torch.Tensor,
    response_lengths: torch.Tensor,
    config: LossConfig,
    *,
    entropy: torch.Tensor | None = None,
    ref_logp: torch.Tensor | None = None,
    batch_tokens: float,
    batch_sequences: int,
    batch_max_response_length: int | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(loss scalar, metrics) for one micro-batch of N response tokens in S sequences; see the module doc.

    ``batch_max_response_length`` is the step's longest response, the default Dr.GRPO constant;
    pass it whenever ``aggregation_constant`` is None, or each micro-batch uses its own maximum."""
    n = new_logp.shape[0]
    response_lengths = torch.as_tensor(response_lengths, device=new_logp.device).to(torch.long)
    _check_shapes(n, {"rollout_logp": rollout_logp, "advantages": advantages, "loss_mask": loss_mask,
                      "entropy": entropy, "ref_logp": ref_logp}, response_lengths)
    if config.entropy_coef != 0 and entropy is None:
        raise InvalidInputError(f"loss.entropyCoef is {config.entropy_coef:g} but no per-token entropy was given")
    if config.kl.coef != 0 and ref_logp is None:
        raise InvalidInputError(f"loss.kl.coef is {config.kl.coef:g} but no reference log-probs were given")
    dt = new_logp.dtype
    rollout_logp, advantages, mask = (t.to(dt) for t in (rollout_logp, advantages, loss_mask))
    num_seq = response_lengths.numel()
    seq = sequence_index(response_lengths)
    if config.aggregation_constant is not None:
        constant = config.aggregation_constant
    elif batch_max_response_length is not None:
        constant = float(batch_max_response_length)
    else:
        constant = float(response_lengths.max()) if num_seq else 1.0
    agg = lambda x, m, counts=None: aggregate(  # noqa: E731
        x, m, seq, num_seq, config.aggregation, batch_tokens=batch_tokens, batch_sequences=batch_sequences,
        constant=max(constant, 1.0), seq_token_counts=counts)
    share = lambda x, m=mask: token_mean(x, m, batch_tokens)  # noqa: E731

    # Mismatch correction (computed even when off, at token level, so its metrics are always there).
    tis_level = config.tis.mode if config.tis.mode != "off" else "token"
    weight, tis_clipped = tis_weights(mismatch_log_ratio(new_logp, rollout_logp, mask, seq, num_seq, tis_level),
                                      config.tis.clip_low, config.tis.clip_high)
    mis_level = config.mis.mode if config.mis.mode != "off" else "token"
    keep = mis_keep(mismatch_log_ratio(new_logp, rollout_logp, mask, seq, num_seq, mis_level), config.mis.low, config.mis.high)
    pg_mask = mask * keep if config.mis.mode != "off" else mask
    old_logp = new_logp.detach() if config.tis.mode != "off" else rollout_logp

    log_ratio = new_logp - old_logp
    kind = config.policy_loss
    if kind == "gspo":
        log_ratio = gspo_log_ratio(log_ratio, mask, seq, num_seq)
    if kind in ("ppo", "gspo"):
        per_token, clip_low, clip_high = ppo_clip(log_ratio, advantages, config.eps_clip, config.eps_high, config.dual_clip_c)
    elif kind == "cispo":
        per_token, clip_low, clip_high = cispo(new_logp, log_ratio, advantages, config.eps_clip, config.eps_high)
    elif kind == "reinforce":
        per_token, clip_low, clip_high = reinforce(new_logp, advantages)
    else:
        per_token, clip_low, clip_high = sft(new_logp)

    zero = new_logp.new_zeros(())
    counts = segment_sum(mask, seq, num_seq)
    if kind == "sft":
        sft_loss = agg(per_token, mask)
        pg_loss = zero
    else:
        if config.tis.mode != "off":
            per_token = per_token * weight
        pg_loss = agg(per_token, pg_mask, counts)
        sft_loss = None
    kl_loss = agg(kl_estimate(new_logp, ref_logp.to(dt), config.kl.type), mask) if ref_logp is not None else zero
    entropy_loss = agg(entropy.to(dt), mask) if entropy is not None else zero

    loss = pg_loss + config.kl.coef * kl_loss - config.entropy_coef * entropy_loss
    if sft_loss is not None:
        loss = loss + sft_loss

    metrics = {
        "loss": loss,
        "pg_loss": pg_loss,
        "kl_loss": kl_loss,
        "entropy_loss": entropy_loss,
        "clipfrac": share(clip_low + clip_high, pg_mask),
        "clipfrac_low": share(clip_low, pg_mask),
        "clipfrac_high": share(clip_high, pg_mask),
        "approx_kl": share(rollout_logp - new_logp),
        "entropy": share(entropy.to(dt)) if entropy is not None else zero,
        "train_rollout_logprob_abs_diff": share((new_logp - rollout_logp).abs()),
        "tis_weight_mean": share(weight),
        "tis_clipfrac": share(tis_clipped.to(dt)),
        "mis_dropfrac": share(1.0 - keep),
    }
    if sft_loss is not None:
        metrics["sft_loss"] = sft_loss
    return loss, {k: v.detach() for k, v in metrics.items()}
