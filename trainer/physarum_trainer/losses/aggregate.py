"""Reducing per-token values to the batch's scalar, additively over micro-batches.

Every reducer returns this micro-batch's share of the WHOLE step's value: the denominators are
batch totals (``batch_tokens``, ``batch_sequences``) handed in by the caller, so summing the
results of all micro-batches on all ranks gives exactly the aggregate of the whole batch.

- ``token_mean``: Σ x·mask / batch_tokens (one mean over every trainable token of the step).
- ``seq_mean_token_mean``: Σ_s (Σ_t x·mask / Σ_t mask_s) / batch_sequences.
- ``seq_mean_token_sum_norm`` (Dr.GRPO): Σ_s (Σ_t x·mask / constant) / batch_sequences.

A sequence with no trainable token contributes 0 but is still counted in ``batch_sequences``.
"""

from __future__ import annotations

import torch


def sequence_index(response_lengths: torch.Tensor, device: torch.device | None = None) -> torch.Tensor:
    """seq[N]: which sequence each response token belongs to."""
    lengths = response_lengths.to(device=device, dtype=torch.long)
    return torch.repeat_interleave(torch.arange(lengths.numel(), device=lengths.device), lengths)


def segment_sum(x: torch.Tensor, seq: torch.Tensor, num_sequences: int) -> torch.Tensor:
    """Per-sequence sums of a per-token tensor (differentiable)."""
    return torch.zeros(num_sequences, dtype=x.dtype, device=x.device).index_add(0, seq, x)


def aggregate(
    x: torch.Tensor,
    mask: torch.Tensor,
    seq: torch.Tensor,
    num_sequences: int,
    mode: str,
    *,
    batch_tokens: float,
    batch_sequences: int,
    constant: float,
    seq_token_counts: torch.Tensor | None = None,
) -> torch.Tensor:
    """This micro-batch's share of the step aggregate of ``x`` under ``mode`` (see the module doc).

    ``seq_token_counts`` overrides the per-sequence denominators of seq_mean_token_mean (the loss
    mask's counts, so tokens dropped by MIS count as zeros instead of shrinking the mean)."""
    masked = x * mask
    if mode == "token_mean":
        return masked.sum() / max(float(batch_tokens), 1.0)
    per_seq = segment_sum(masked, seq, num_sequences)
    if mode == "seq_mean_token_mean":
        counts = seq_token_counts if seq_token_counts is not None else segment_sum(mask, seq, num_sequences)
        per_seq = per_seq / counts.clamp(min=1.0)
    elif mode == "seq_mean_token_sum_norm":
        per_seq = per_seq / constant
    else:
        raise ValueError(f"unknown aggregation {mode!r}")
    return per_seq.sum() / max(int(batch_sequences), 1)


def token_mean(x: torch.Tensor, mask: torch.Tensor, batch_tokens: float) -> torch.Tensor:
    """Share of the step's mean of ``x`` over trainable tokens (used for metrics whatever the loss's mode)."""
    return (x * mask).sum() / max(float(batch_tokens), 1.0)
