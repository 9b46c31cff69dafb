"""Step totals that make micro-batch losses additive: computed once over the WHOLE step's batch
(all micro-batches of all ranks) and handed to every ``compute_loss`` call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np


@dataclass(frozen=True)
class BatchTotals:
    tokens: float
    """Trainable (loss-mask) response tokens in the step."""
    sequences: int
    max_response_length: int

    def as_kwargs(self) -> dict:
        """Keyword arguments for compute_loss."""
        return {"batch_tokens": self.tokens, "batch_sequences": self.sequences,
                "batch_max_response_length": self.max_response_length}


def batch_totals(micro_batches: Iterable) -> BatchTotals:
    """Totals over micro-batches that have ``loss_mask`` and ``response_lengths`` (batch.MicroBatch does)."""
    tokens, sequences, longest = 0.0, 0, 0
    for mb in micro_batches:
        tokens += float(np.asarray(mb.loss_mask, dtype=np.float64).sum())
        lengths = np.asarray(mb.response_lengths)
        sequences += int(lengths.size)
        if lengths.size:
            longest = max(longest, int(lengths.max()))
    return BatchTotals(tokens=tokens, sequences=sequences, max_response_length=longest)
