"""Pieces: the units one forward pass sees. A frame micro-batch becomes one or more pieces of whole
samples (split further when `microBatchTokens` is smaller than the frame's packing), as tensors on
the model's device, with position ids that restart at every sequence start."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from ...batch import MicroBatch


@dataclass
class Piece:
    tokens: torch.Tensor  # long [T]
    position_ids: torch.Tensor  # long [T], 0 at each sequence start
    cu_seqlens: torch.Tensor  # long [S+1]
    prompt_lengths: torch.Tensor
    response_lengths: torch.Tensor
    loss_mask: torch.Tensor  # float [N]
    rollout_log_probs: torch.Tensor  # float [N]
    advantages: torch.Tensor  # float [N] (per-sample values repeated over its response tokens)
    rollout_ids: list[str]

    @property
    def num_tokens(self) -> int:
        return int(self.tokens.numel())


def position_ids_for(cu_seqlens: np.ndarray) -> np.ndarray:
    lengths = np.diff(cu_seqlens)
    total = int(cu_seqlens[-1])
    starts = np.repeat(cu_seqlens[:-1], lengths)
    return np.arange(total, dtype=np.int64) - starts


def _sample_ranges(mb: MicroBatch, max_tokens: int | None) -> Iterator[tuple[int, int]]:
    """[a, b) sample ranges of consecutive samples whose tokens fit max_tokens (a lone long sample stands alone)."""
    n = mb.num_samples
    if max_tokens is None:
        yield 0, n
        return
    cu = mb.cu_seqlens
    a = 0
    while a < n:
        b = a + 1
        while b < n and int(cu[b + 1]) - int(cu[a]) <= max_tokens:
            b += 1
        yield a, b
        a = b


def pieces_of(micro_batches: Sequence[MicroBatch], device: torch.device, max_tokens: int | None = None) -> list[Piece]:
    out = []
    for mb in micro_batches:
        if mb.num_samples == 0:
            continue
        resp_cu = np.concatenate(([0], np.cumsum(mb.response_lengths, dtype=np.int64)))
        for a, b in _sample_ranges(mb, max_tokens):
            t0, t1 = int(mb.cu_seqlens[a]), int(mb.cu_seqlens[b])
            r0, r1 = int(resp_cu[a]), int(resp_cu[b])
            cu = mb.cu_seqlens[a : b + 1].astype(np.int64) - t0
            lengths = mb.response_lengths[a:b].astype(np.int64)
            as_long = lambda x: torch.from_numpy(np.array(x, dtype=np.int64)).to(device)  # noqa: E731
            as_float = lambda x: torch.from_numpy(np.array(x, dtype=np.float32)).to(device)  # noqa: E731
            out.append(Piece(
                tokens=as_long(mb.tokens[t0:t1]),
                position_ids=as_long(position_ids_for(cu)),
                cu_seqlens=as_long(cu),
                prompt_lengths=as_long(mb.prompt_lengths[a:b]),
                response_lengths=as_long(lengths),
                loss_mask=as_float(mb.loss_mask[r0:r1]),
                rollout_log_probs=as_float(mb.rollout_log_probs[r0:r1]),
                advantages=as_float(np.repeat(mb.advantages[a:b], lengths)),
                rollout_ids=mb.rollout_ids[a:b],
            ))
    return out


def forward_logits(model, piece: Piece) -> torch.Tensor:
    """Logits [T, V] of one packed piece; attention never crosses a sequence boundary.

    Packed as one row, attention costs T^2 however short the sequences are (the mask is
    block-diagonal but the kernel still walks it). Many short sequences of similar length are
    cheaper as a right-padded batch [S, Lmax]: under a causal mask a real token never sees the
    padding after it, so each row equals that sequence alone; padding logits are dropped.
    """
    lengths = piece.cu_seqlens[1:] - piece.cu_seqlens[:-1]
    count = int(lengths.numel())
    longest = int(lengths.max()) if count else 0
    if count > 1 and count * longest <= 2 * piece.num_tokens:
        return _padded_logits(model, piece, lengths, longest)
    out = model(input_ids=piece.tokens[None, :], position_ids=piece.position_ids[None, :], use_cache=False)
    return out.logits[0]


def _padded_logits(model, piece: Piece, lengths: torch.Tensor, longest: int) -> torch.Tensor:
    count = int(lengths.numel())
    columns = torch.arange(longest, device=piece.tokens.device)
    real = columns[None, :] < lengths[:, None]  # [S, Lmax]
    rows = torch.zeros((count, longest), dtype=piece.tokens.dtype, device=piece.tokens.device)
    rows[real] = piece.tokens  # row-major order of `real` is the packed order
    positions = columns[None, :].expand(count, longest)
    out = model(input_ids=rows, position_ids=positions, use_cache=False)
    return out.logits[real]
