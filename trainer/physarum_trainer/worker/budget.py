"""Checks a frame on rank 0 before any rank sees it: token ids inside the vocabulary, sample
lengths that fit, and the memory budget (PHYSARUM_TRAINER_MEMORY_BUDGET when one forward would
hold more tokens than `memoryBudgetTokens`, or clearly more memory than the device has free)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidInputError, MemoryBudgetError
from ..losses import response_slices


def _largest_forward(cu: np.ndarray, max_tokens: int | None) -> int:
    """Tokens of the largest piece a micro-batch is split into (whole samples, as pieces.py splits)."""
    total = int(cu[-1]) if cu.size else 0
    if max_tokens is None or total <= max_tokens:
        return total
    largest, a, n = 0, 0, cu.size - 1
    while a < n:
        b = a + 1
        while b < n and int(cu[b + 1]) - int(cu[a]) <= max_tokens:
            b += 1
        largest = max(largest, int(cu[b]) - int(cu[a]))
        a = b
    return largest


def _available_bytes(device: str) -> int | None:
    try:
        if device.startswith("cuda"):
            import torch

            return int(torch.cuda.mem_get_info()[0])
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - no estimate is better than a wrong refusal
        return None


def estimated_bytes(tokens: int, vocab: int, hidden: int, layers: int, dtype_bytes: int) -> int:
    # Logits in fp32 plus their softmax and gradient, and ~34 activations of `hidden` per layer kept for backward.
    return tokens * (12 * vocab + 34 * hidden * layers * dtype_bytes)


def check_frame(batch: Any, info: dict[str, Any], cfg: dict[str, Any] | None) -> None:
    cfg = cfg or {}
    vocab = int(info["vocabSize"])
    micro = cfg.get("microBatchTokens")
    budget = cfg.get("memoryBudgetTokens")
    largest = 0
    for r, rank in enumerate(batch.ranks):
        for m, mb in enumerate(rank):
            if mb.tokens.size:
                low, high = int(mb.tokens.min()), int(mb.tokens.max())
                if low < 0 or high >= vocab:
                    raise InvalidInputError(f"rank {r} micro-batch {m}: token id {high if high >= vocab else low} is outside the model's vocabulary of {vocab}")
            response_slices(np.array(mb.cu_seqlens), np.array(mb.prompt_lengths), np.array(mb.response_lengths))
            size = _largest_forward(np.asarray(mb.cu_seqlens), micro)
            largest = max(largest, size)
            if budget is not None and size > budget:
                raise MemoryBudgetError(f"rank {r} micro-batch {m} needs a {size}-token forward, over memoryBudgetTokens {budget}; pack smaller micro-batches (maxTokensPerGpu) or set microBatchTokens")
    hidden, layers = int(info.get("hiddenSize", 0)), int(info.get("numLayers", 0))
    need = estimated_bytes(largest, vocab, hidden, layers, 2 if info.get("dtype") == "bfloat16" else 4)
    free = _available_bytes(str(info.get("device", "cpu")))
    if free is not None and need > free:
        raise MemoryBudgetError(f"a {largest}-token forward needs about {need / 2**30:.1f} GiB but {free / 2**30:.1f} GiB is free on {info.get('device')}; lower maxTokensPerGpu or set microBatchTokens")
