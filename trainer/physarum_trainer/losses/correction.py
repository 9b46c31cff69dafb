"""Rollout–trainer mismatch correction against the rollout log-probs in the batch.

The mismatch log-ratio is d = sg(logp_trainer) − logp_rollout per token; at sequence level it is the
sum of d over the sequence's trainable tokens (the log of the product of token ratios).

- TIS: weight = clamp(exp(d), clip_low, clip_high), no gradient, multiplies the policy loss.
- MIS: keep = low ≤ exp(d) ≤ high (compared in log space, so a huge d never overflows); dropped
  tokens/sequences leave the policy loss.

Both are computed even when their mode is "off" (at token level) so their metrics are always
reported; "off" then means weight 1 and keep everything.
"""

from __future__ import annotations

import math

import torch

from .aggregate import segment_sum


def mismatch_log_ratio(
    logp: torch.Tensor, rollout_logp: torch.Tensor, mask: torch.Tensor, seq: torch.Tensor, num_sequences: int, level: str
) -> torch.Tensor:
    """Per-token d (token level) or the sequence's Σ d broadcast to its tokens (sequence level); detached."""
    d = (logp.detach() - rollout_logp) * mask
    if level == "sequence":
        return segment_sum(d, seq, num_sequences)[seq]
    return d


def tis_weights(log_ratio: torch.Tensor, clip_low: float, clip_high: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(weight, clipped): clamp(exp(log_ratio)) and whether the clamp changed it."""
    raw = torch.exp(log_ratio)
    weight = raw.clamp(min=clip_low, max=clip_high)
    return weight, (raw < clip_low) | (raw > clip_high)


def mis_keep(log_ratio: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """1.0 where low ≤ exp(log_ratio) ≤ high, else 0.0."""
    lo = math.log(low) if low > 0 else -math.inf
    hi = math.log(high)
    return ((log_ratio >= lo) & (log_ratio <= hi)).to(log_ratio.dtype)
