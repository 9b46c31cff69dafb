"""Per-token policy-gradient losses (before aggregation). ``log_ratio`` = logp − old_logp.

- PPO/GRPO: max(−A·r, −A·clip(r, 1−ε_low, 1+ε_high)); dual clip (c > 1): for A < 0, min(that, −c·A).
- GSPO: the same, with each token's log-ratio replaced by its sequence's masked mean (see gspo_log_ratio).
- CISPO: −sg(clip(r, 1−ε_low, 1+ε_high))·A·logp.
- REINFORCE: −A·logp.  SFT: −logp.

Each returns (loss[N], clipped_low[N], clipped_high[N]) with the clip indicators as 0/1 floats:
for PPO/GSPO "clipped" means the clipped branch is the one taken (r < 1−ε_low with A < 0, or
r > 1+ε_high with A > 0); for CISPO it means the IS weight was clipped.
"""

from __future__ import annotations

import torch

from .aggregate import segment_sum


def gspo_log_ratio(log_ratio: torch.Tensor, mask: torch.Tensor, seq: torch.Tensor, num_sequences: int) -> torch.Tensor:
    """Each token's log-ratio replaced by the masked mean over its sequence (gradient flows through the mean)."""
    sums = segment_sum(log_ratio * mask, seq, num_sequences)
    counts = segment_sum(mask, seq, num_sequences).clamp(min=1.0)
    return (sums / counts)[seq]


def ppo_clip(
    log_ratio: torch.Tensor, advantages: torch.Tensor, eps_low: float, eps_high: float, dual_clip_c: float | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1.0 - eps_low, 1.0 + eps_high)
    loss = torch.maximum(unclipped, clipped)
    if dual_clip_c is not None:
        loss = torch.where(advantages < 0, torch.minimum(loss, -dual_clip_c * advantages), loss)
    taken = clipped > unclipped
    low = (taken & (advantages < 0)).to(log_ratio.dtype)
    high = (taken & (advantages > 0)).to(log_ratio.dtype)
    return loss, low, high


def cispo(
    logp: torch.Tensor, log_ratio: torch.Tensor, advantages: torch.Tensor, eps_low: float, eps_high: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ratio = torch.exp(log_ratio.detach())
    weight = ratio.clamp(1.0 - eps_low, 1.0 + eps_high)
    low = (ratio < 1.0 - eps_low).to(logp.dtype)
    high = (ratio > 1.0 + eps_high).to(logp.dtype)
    return -weight * advantages * logp, low, high


def reinforce(logp: torch.Tensor, advantages: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    zero = torch.zeros_like(logp.detach())
    return -advantages * logp, zero, zero


def sft(logp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    zero = torch.zeros_like(logp.detach())
    return -logp, zero, zero
