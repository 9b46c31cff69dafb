"""Per-token log-probs and entropy over a THD-packed micro-batch.

The logit at position t scores token t+1 of the SAME sequence; the last position of each sequence
(and any padding after ``cu_seqlens[-1]``) scores nothing and gets 0. Logits are divided by the
rollout temperature first so the numbers match the sampler's. Low-precision logits are upcast to
float32 (float64 stays float64); with ``chunk_size`` the [T, V] work runs in row chunks, and under
autograd each chunk is checkpointed so only one chunk's softmax is alive at a time.
"""

from __future__ import annotations

import math

import torch
from torch.utils.checkpoint import checkpoint

from ..errors import InvalidInputError


def _as_long(x, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(x, device=device).to(torch.long)


def effective_temperature(temperature: float) -> float:
    """0 means greedy sampling, whose log-probs the engines report under the raw distribution (T=1)."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not math.isfinite(temperature) or temperature < 0:
        raise InvalidInputError(f"temperature must be a finite number >= 0, got {temperature!r}")
    return 1.0 if temperature == 0 else float(temperature)


def next_token_targets(tokens: torch.Tensor, cu_seqlens: torch.Tensor, total: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(targets[T], valid[T]): targets[t] = tokens[t+1] where t+1 is in t's sequence, else 0 and invalid."""
    cu = _as_long(cu_seqlens, tokens.device)
    targets = torch.zeros(total, dtype=torch.long, device=tokens.device)
    end = int(cu[-1])
    if end > total or tokens.numel() < end:
        raise InvalidInputError(f"cu_seqlens ends at {end} but there are {tokens.numel()} tokens and {total} logit rows")
    valid = torch.zeros(total, dtype=torch.bool, device=tokens.device)
    if end > 1:
        targets[: end - 1] = tokens[1:end].to(torch.long)
        valid[: end - 1] = True
    last = cu[1:] - 1
    last = last[last >= 0]
    valid[last] = False
    targets[~valid] = 0
    return targets, valid


def _rows(x: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    lse = torch.logsumexp(x, dim=-1)
    logp = x.gather(-1, targets[:, None]).squeeze(-1) - lse
    entropy = lse - (torch.softmax(x, dim=-1) * x).sum(-1)
    return logp, entropy


def token_logprobs_and_entropy(
    logits: torch.Tensor,
    tokens: torch.Tensor,
    cu_seqlens: torch.Tensor,
    temperature: float = 1.0,
    *,
    chunk_size: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(logp[T], entropy[T]) for packed ``logits[T, V]``; see the module doc for the alignment."""
    if logits.dim() != 2:
        raise InvalidInputError(f"logits must be [T, V], got shape {tuple(logits.shape)}")
    scale = effective_temperature(temperature)
    x = logits if logits.dtype in (torch.float32, torch.float64) else logits.float()
    total = x.shape[0]
    targets, valid = next_token_targets(tokens, cu_seqlens, total)
    if chunk_size is None or chunk_size >= total:
        logp, entropy = _rows(x / scale, targets)
    else:
        if chunk_size <= 0:
            raise InvalidInputError(f"chunk_size must be > 0, got {chunk_size}")
        parts = []
        for a in range(0, total, chunk_size):
            piece = lambda xs, ts: _rows(xs / scale, ts)  # noqa: E731
            if x.requires_grad:
                parts.append(checkpoint(piece, x[a : a + chunk_size], targets[a : a + chunk_size], use_reentrant=False))
            else:
                parts.append(piece(x[a : a + chunk_size], targets[a : a + chunk_size]))
        logp = torch.cat([p[0] for p in parts])
        entropy = torch.cat([p[1] for p in parts])
    zero = torch.zeros((), dtype=logp.dtype, device=logp.device)
    return torch.where(valid, logp, zero), torch.where(valid, entropy, zero)


def response_slices(cu_seqlens, prompt_lengths, response_lengths) -> torch.Tensor:
    """Index[N]: for response token j of sample i, the position start_i + prompt_len_i − 1 + j whose
    logit scores it. Order = samples in order, tokens in order: the layout of the frame's
    per-response arrays (lossMask, rolloutLogProbs, ...)."""
    cu = _as_long(cu_seqlens, torch.device("cpu"))
    prompt = _as_long(prompt_lengths, torch.device("cpu"))
    response = _as_long(response_lengths, torch.device("cpu"))
    n = cu.numel() - 1
    if prompt.numel() != n or response.numel() != n:
        raise InvalidInputError(
            f"cu_seqlens describes {n} sequences but prompt_lengths has {prompt.numel()} and response_lengths {response.numel()}"
        )
    lengths = cu[1:] - cu[:-1]
    bad = ((prompt < 1) | (response < 0) | (prompt + response > lengths)).nonzero()
    if bad.numel():
        i = int(bad[0])
        raise InvalidInputError(
            f"sample {i}: prompt length {int(prompt[i])} + response length {int(response[i])} does not fit its "
            f"{int(lengths[i])} tokens (a prompt needs at least 1 token)"
        )
    first = cu[:-1] + prompt - 1
    starts = torch.repeat_interleave(first, response)
    offsets = torch.arange(int(response.sum())) - torch.repeat_interleave(torch.cumsum(response, 0) - response, response)
    return starts + offsets


def response_logprobs(
    logits: torch.Tensor,
    tokens: torch.Tensor,
    cu_seqlens,
    prompt_lengths,
    response_lengths,
    temperature: float = 1.0,
    *,
    chunk_size: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(logp[N], entropy[N]) for every response token, aligned with the frame's per-response arrays."""
    index = response_slices(cu_seqlens, prompt_lengths, response_lengths).to(logits.device)
    cu = _as_long(cu_seqlens, logits.device)
    logp, entropy = token_logprobs_and_entropy(logits, tokens, cu, temperature, chunk_size=chunk_size)
    return logp[index], entropy[index]


def broadcast_per_sample(values, response_lengths, *, dtype=None, device=None) -> torch.Tensor:
    """A per-sample value (e.g. the advantage) repeated over that sample's response tokens."""
    v = torch.as_tensor(values, dtype=dtype, device=device)
    return torch.repeat_interleave(v, _as_long(response_lengths, v.device))
