"""torch_hf: HF transformers models (Qwen2, Qwen3, Llama) on CPU (fp32) or one GPU (bf16).

Each rank holds a full replica; with several data-parallel ranks the gradients are summed over the
group (the loss of each micro-batch is already its share of the batch-level aggregate, so a sum is
exact). Before any reduction every rank says whether it failed (`ctx.agree`), so a failing rank
fails the step on every rank instead of leaving the others waiting in a collective.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from ...batch import MicroBatch
from ...errors import InvalidInputError, TrainerError
from ...losses import LossConfig, compute_loss, response_logprobs
from ...losses.totals import BatchTotals
from ...worker.faults import maybe_fail
from ..base import Backend, LogprobResult, RankContext
from . import state
from .model_load import load_model
from .optim import build_optimizer
from .pieces import Piece, forward_logits, pieces_of

NON_ADDITIVE = ("grad_norm", "lr")


class TorchHfBackend(Backend):
    name = "torch_hf"

    def __init__(self, cfg: dict[str, Any], ctx: RankContext) -> None:
        self.cfg = cfg
        self.ctx = ctx
        torch.manual_seed(cfg["seed"])
        self.loaded = load_model(cfg)
        self.model = self.loaded.model
        self.device = self.loaded.device
        self.optimizer, self.scheduler = build_optimizer(self.model, cfg["optimizer"], cfg["scheduler"])
        self.loss_config = LossConfig.from_wire(cfg.get("loss"))
        self.micro_tokens = cfg.get("microBatchTokens")
        self.tokens_trained = 0
        self.steps_done = 0
        # Dropout and any sampling inside the model differ per rank; the weights do not.
        torch.manual_seed(cfg["seed"] + 1000 * ctx.rank)

    # -- read-only ---------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        params = list(self.model.parameters())
        return {
            "backend": self.name,
            "device": str(self.device),
            "dtype": str(self.loaded.dtype).removeprefix("torch."),
            "worldSize": self.ctx.world_size,
            "parameters": sum(p.numel() for p in params),
            "trainableParameters": sum(p.numel() for p in params if p.requires_grad),
            "modelType": self.loaded.config["model_type"],
            "vocabSize": int(self.loaded.config["vocab_size"]),
            "hiddenSize": int(self.loaded.config["hidden_size"]),
            "numLayers": int(self.loaded.config["num_hidden_layers"]),
        }

    def _reference_logp(self, piece: Piece, temperature: float, module: str) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            if module == "actor":
                logits = forward_logits(self.model, piece)
            elif self.loaded.lora:
                with self.model.disable_adapter():  # the base weights are the frozen initial policy
                    logits = forward_logits(self.model, piece)
            elif self.loaded.reference is not None:
                logits = forward_logits(self.loaded.reference, piece)
            else:
                raise InvalidInputError("no reference model: init with reference 'initial' or {path} to use model 'reference' or a KL term")
            return response_logprobs(logits, piece.tokens, piece.cu_seqlens, piece.prompt_lengths, piece.response_lengths, temperature)

    def compute_logprobs(self, micro_batches: Sequence[MicroBatch], temperature: float, model: str = "actor") -> list[LogprobResult]:
        was_training = self.model.training
        self.model.eval()
        try:
            results = []
            for mb in micro_batches:
                logps, ents = [], []
                for piece in pieces_of([mb], self.device, self.micro_tokens):
                    logp, ent = self._reference_logp(piece, temperature, model)
                    logps.append(logp.float().cpu().numpy())
                    ents.append(ent.float().cpu().numpy())
                empty = np.zeros(0, dtype=np.float32)
                results.append(LogprobResult(np.concatenate(logps) if logps else empty, np.concatenate(ents) if ents else empty))
            return results
        finally:
            self.model.train(was_training)

    # -- training ----------------------------------------------------------------------------
    def train_step(self, micro_batches: Sequence[MicroBatch], loss_config: LossConfig, step: int, *, totals: BatchTotals,
                   temperature: float) -> dict[str, float]:
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        sums: dict[str, float] = {}
        error: BaseException | None = None
        try:
            maybe_fail(self.ctx.rank, "train_step")
            for piece in pieces_of(micro_batches, self.device, self.micro_tokens):
                ref = self._reference_logp(piece, temperature, "reference")[0] if loss_config.kl.coef != 0 else None
                logits = forward_logits(self.model, piece)
                logp, ent = response_logprobs(logits, piece.tokens, piece.cu_seqlens, piece.prompt_lengths, piece.response_lengths, temperature)
                loss, metrics = compute_loss(logp, piece.rollout_log_probs, piece.advantages, piece.loss_mask, piece.response_lengths,
                                             loss_config, entropy=ent, ref_logp=ref, **totals.as_kwargs())
                loss.backward()
                for k, v in metrics.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
        except Exception as caught:  # reported to every rank before any collective
            error = caught
        self.ctx.agree(error, "train_step")
        if error is not None:
            raise error
        params = [p for p in self.model.parameters() if p.requires_grad]
        sums = self._reduce(params, sums)
        clip = self.cfg["optimizer"]["clipGrad"]
        grad_norm = float(torch.nn.utils.clip_grad_norm_(params, clip if clip is not None else math.inf))
        bad = [k for k, v in sums.items() if not math.isfinite(v)] + ([] if math.isfinite(grad_norm) else ["grad_norm"])
        if bad:
            self.optimizer.zero_grad(set_to_none=True)
            raise TrainerError(f"step {step}: non-finite {', '.join(bad)}; the optimizer step was skipped")
        lr = float(self.optimizer.param_groups[0]["lr"])
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.tokens_trained += int(totals.tokens)
        self.steps_done += 1
        sums.update(grad_norm=grad_norm, lr=lr)
        for name in ("sft_loss",):
            if loss_config.policy_loss != "sft":
                sums.pop(name, None)
        return sums

    def _reduce(self, params: list[torch.Tensor], sums: dict[str, float]) -> dict[str, float]:
        """Sum gradients and metric shares over the data-parallel group (one flat buffer each)."""
        if self.ctx.dp_size == 1 or self.ctx.group is None:
            return sums
        import torch.distributed as dist

        for p in params:
            if p.grad is None:  # a rank with no samples this step still takes part
                p.grad = torch.zeros_like(p)
        flat = torch.cat([p.grad.reshape(-1).float() for p in params])
        dist.all_reduce(flat, group=self.ctx.group)
        offset = 0
        for p in params:
            n = p.numel()
            p.grad.copy_(flat[offset : offset + n].view_as(p.grad))
            offset += n
        keys = sorted(set(sums) | {"loss"})
        values = torch.tensor([sums.get(k, 0.0) for k in keys], dtype=torch.float64)
        dist.all_reduce(values, group=self.ctx.group)
        return dict(zip(keys, values.tolist()))

    # -- weights out -------------------------------------------------------------------------
    def export_state_dict_hf(self) -> Mapping[str, Any]:
        return state.merged_hf_state_dict(self.model, self.loaded.lora, bool(self.loaded.config.get("tie_word_embeddings")))

    def hf_config(self) -> dict[str, Any]:
        return dict(self.loaded.config)

    def tokenizer_dir(self) -> Path | None:
        return self.loaded.model_dir

    # -- checkpoints -------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        state.save_checkpoint(self, directory)

    def load(self, directory: Path) -> None:
        state.load_checkpoint(self, directory)

    def stats(self) -> dict[str, Any]:
        return {"device": str(self.device), "tokensTrained": self.tokens_trained, "peakMemoryMb": peak_memory_mb(self.device)}


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
