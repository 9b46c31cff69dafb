"""KL estimators of π_θ against a reference policy from per-token log-probs (Schulman's k1/k2/k3).

With log_ratio = logp − ref_logp (tokens sampled from π_θ's rollout):
k1 = log_ratio; k2 = log_ratio² / 2; k3 = exp(−log_ratio) − 1 + log_ratio (≥ 0, low variance).
"""

from __future__ import annotations

import torch


def kl_estimate(logp: torch.Tensor, ref_logp: torch.Tensor, kind: str) -> torch.Tensor:
    log_ratio = logp - ref_logp
    if kind == "k1":
        return log_ratio
    if kind == "k2":
        return 0.5 * log_ratio * log_ratio
    if kind == "k3":
        return torch.expm1(-log_ratio) + log_ratio
    raise ValueError(f"unknown KL type {kind!r}")
