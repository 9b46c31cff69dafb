"""One RL loss module for both backends (torch_hf and megatron).

- ``token_logprobs_and_entropy`` / ``response_logprobs``: per-token log-probs and entropy of packed logits.
- ``compute_loss``: policy loss (ppo, gspo, cispo, reinforce, sft), TIS/MIS, KL, entropy, aggregation,
  plus the metrics; additive over micro-batches given the step's ``BatchTotals``.
- ``LossConfig``: the RPC's ``loss`` record, validated.
"""

from .compute import compute_loss
from .config import LossConfig
from .logprobs import broadcast_per_sample, response_logprobs, response_slices, token_logprobs_and_entropy
from .totals import BatchTotals, batch_totals

__all__ = [
    "BatchTotals",
    "LossConfig",
    "batch_totals",
    "broadcast_per_sample",
    "compute_loss",
    "response_logprobs",
    "response_slices",
    "token_logprobs_and_entropy",
]
