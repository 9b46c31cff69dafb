"""The backend interface every trainer backend (torch_hf, megatron) implements.

The worker (physarum_trainer.worker) owns the RPC, the frame decode, the rank relay and the error
mapping; a backend owns one model replica on one rank and does the math. Every rank builds its own
backend with the same `InitConfig` and a `RankContext` naming its place in the process group.

Batch-level normalisation: `train_step` gets the totals of the *whole* frame (all data-parallel
ranks), so a token-mean over the batch is the same number whatever the micro-batch split or DP size.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..batch import MicroBatch


@dataclass
class RankContext:
    """Where this backend sits: rank in the world, data-parallel coordinates, and the group helpers."""

    rank: int = 0
    world_size: int = 1
    dp_rank: int = 0
    dp_size: int = 1
    group: Any = None
    """torch.distributed group for gradient reduction (None when world_size is 1)."""
    agree: Callable[[BaseException | None, str], None] = field(default=lambda error, phase: None)
    """Collective check before a reduction: every rank says whether it failed; raises
    RankFailedError on every rank when one did, so no rank waits in a reduction that will never come."""


@dataclass
class LogprobResult:
    """Per micro-batch: response-token log-probs and entropies, concatenated in sample order."""

    log_probs: Any  # numpy float32 [sum(response_lengths)]
    entropy: Any  # numpy float32, same layout


@dataclass
class BatchTotals:
    """Totals over the whole frame (every rank): the denominators of batch-level aggregation."""

    tokens: int
    """Loss-mask tokens (trainable response tokens)."""
    sequences: int
    max_response_length: int


class Backend(ABC):
    """One model replica on one rank. Methods are called in lock-step on every rank."""

    name: str = "abstract"

    @abstractmethod
    def info(self) -> dict[str, Any]:
        """{backend, device, dtype, worldSize, parameters, trainableParameters, modelType, vocabSize}."""

    @abstractmethod
    def compute_logprobs(self, micro_batches: Sequence[MicroBatch], temperature: float, model: str = "actor") -> list[LogprobResult]:
        """Forward only; `model` is "actor" or "reference" (a frozen copy, when the config asked for one)."""

    @abstractmethod
    def train_step(self, micro_batches: Sequence[MicroBatch], loss_config: Any, step: int, *, totals: BatchTotals,
                   temperature: float) -> dict[str, float]:
        """One optimizer step over this rank's micro-batches (gradients accumulated, reduced over DP).
        `loss_config` is a physarum_trainer.losses.LossConfig. Returns the contract's metrics (the
        worker adds timing and decode figures)."""

    @abstractmethod
    def export_state_dict_hf(self) -> Mapping[str, Any]:
        """Full weights under HF names (LoRA merged, TP/PP gathered), as CPU tensors, on rank 0."""

    @abstractmethod
    def hf_config(self) -> dict[str, Any]:
        """The HF config.json of the exported weights."""

    @abstractmethod
    def tokenizer_dir(self) -> Path | None:
        """Where tokenizer.json / tokenizer_config.json of the model live (for GGUF and HF export)."""

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write this rank's part of a checkpoint (model or adapters, optimizer, scheduler, RNG) under
        `directory`, which the worker creates and makes atomic."""

    @abstractmethod
    def load(self, directory: Path) -> None:
        """Restore what `save` wrote (possibly by a run with another DP size)."""

    @abstractmethod
    def stats(self) -> dict[str, Any]:
        """{device, tokensTrained, peakMemoryMb, ...}."""

    def close(self) -> None:
        """Release resources (optional)."""
