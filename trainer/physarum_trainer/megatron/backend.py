"""The megatron backend: megatron-core on one or more GPUs (TP and DP; PP = 1 for now).

Per reference/megatron-worker.md: model-parallel init and the CUDA RNG tracker (§1.2), a local-spec
GPTModel with the packed THD core attention (§1.3, §1.6) wrapped in Float16Module for bf16, megatron
DDP + get_megatron_optimizer with the config hooks (§1.4), and forward_backward_func with a
loss_func that calls the same ``compute_loss`` as torch_hf (§1.5). megatron-core is imported only
when this backend is constructed; without it the constructor raises BackendUnavailableError.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from ..backends.base import Backend, LogprobResult, RankContext
from ..model_source import model_directory
from ..batch import MicroBatch
from ..errors import BackendUnavailableError, CheckpointError, InvalidInputError, TrainerError
from ..losses import LossConfig, compute_loss, response_logprobs
from . import model as mmodel
from .convert import mcore_to_hf, merge_tp
from .flags import route_flags


@dataclass
class _Piece:
    tokens: torch.Tensor
    cu: torch.Tensor
    params: Any  # PackedSeqParams
    prompt_lengths: np.ndarray
    response_lengths: np.ndarray
    loss_mask: torch.Tensor
    rollout: torch.Tensor
    advantages: torch.Tensor


def _lr_at(step: int, opt: dict[str, Any], sched: dict[str, Any]) -> float:
    """Linear warmup, then cosine to minLr over decaySteps (constant when decaySteps is unset)."""
    lr, warm = float(opt.get("lr", 1e-5)), int(sched.get("warmupSteps") or 0)
    if warm and step < warm:
        return lr * (step + 1) / warm
    decay, min_lr = sched.get("decaySteps"), float(sched.get("minLr") or 0.0)
    if not decay:
        return lr
    t = min(max(step - warm, 0) / max(int(decay), 1), 1.0)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * t))


class MegatronBackend(Backend):
    name = "megatron"

    def __init__(self, cfg: dict[str, Any], ctx: RankContext) -> None:
        self.mc = mmodel.import_megatron()
        if not torch.cuda.is_available():
            raise BackendUnavailableError("the megatron backend needs CUDA (megatron-core's RoPE, masks and DDP buffers are CUDA-only)")
        from megatron.core import parallel_state, tensor_parallel
        from megatron.core.distributed import DistributedDataParallel, DistributedDataParallelConfig, finalize_model_grads
        from megatron.core.optimizer import OptimizerConfig, get_megatron_optimizer
        from megatron.core.transformer import TransformerConfig
        from megatron.core.transformer.module import Float16Module

        self.cfg, self.ctx = cfg, ctx
        par = cfg.get("parallelism") or {}
        self.tp, pp = int(par.get("tp") or 1), int(par.get("pp") or 1)
        if pp != 1:
            raise InvalidInputError("parallelism.pp: pipeline parallelism is not supported by the megatron backend yet (use pp 1)")
        if cfg.get("lora"):
            raise InvalidInputError("lora is a torch_hf feature; the megatron backend trains full weights")
        flags = route_flags(cfg.get("megatron"), {"transformer": TransformerConfig, "optimizer": OptimizerConfig,
                                                  "ddp": DistributedDataParallelConfig})
        self._init_distributed(ctx)
        parallel_state.initialize_model_parallel(tensor_model_parallel_size=self.tp, pipeline_model_parallel_size=1)
        tensor_parallel.random.model_parallel_cuda_manual_seed(int(cfg.get("seed", 0)))
        self.ps = parallel_state
        self.tp_rank = parallel_state.get_tensor_model_parallel_rank()
        self.dp_size = parallel_state.get_data_parallel_world_size()
        self.device = torch.device("cuda", torch.cuda.current_device())
        self.dtype = torch.bfloat16 if cfg.get("dtype", "bfloat16") == "bfloat16" else torch.float32

        self.model_dir, self._tmp = model_directory(cfg["model"])
        self.shape, self.hf_cfg = mmodel.shape_for(self.model_dir, self.tp)
        hf_state = mmodel.load_hf_weights(self.model_dir)
        tcfg = mmodel.transformer_config(self.shape, self.hf_cfg, self.dtype, flags["transformer"], tp=self.tp, pp=1,
                                         recompute=bool(cfg.get("activationCheckpointing")))
        self.gpt = mmodel.build_gpt(self.shape, self.hf_cfg, tcfg).to(self.device)
        mmodel.load_into(self.gpt, hf_state, self.shape, self.tp, self.tp_rank)
        wrapped = Float16Module(tcfg, self.gpt) if tcfg.bf16 else self.gpt
        self.reference = None
        if cfg.get("reference") not in (None, "none"):
            ref_state = hf_state if cfg["reference"] == "initial" else mmodel.load_hf_weights(Path(cfg["reference"]["path"]))
            ref = mmodel.build_gpt(self.shape, self.hf_cfg, tcfg).to(self.device)
            mmodel.load_into(ref, ref_state, self.shape, self.tp, self.tp_rank)
            self.reference = (Float16Module(tcfg, ref) if tcfg.bf16 else ref).eval().requires_grad_(False)
        ddp_kw = dict(grad_reduce_in_fp32=True, overlap_grad_reduce=False, use_distributed_optimizer=False)
        ddp_kw.update(flags["ddp"])
        self.ddp = DistributedDataParallel(config=tcfg, ddp_config=DistributedDataParallelConfig(**ddp_kw), module=wrapped)
        opt, self.sched = cfg.get("optimizer") or {}, cfg.get("scheduler") or {}
        betas = opt.get("betas") or (0.9, 0.999)
        okw = dict(optimizer="adam", lr=float(opt.get("lr", 1e-5)), min_lr=float(self.sched.get("minLr") or 0.0),
                   weight_decay=float(opt.get("weightDecay", 0.0)), adam_beta1=float(betas[0]), adam_beta2=float(betas[1]),
                   adam_eps=float(opt.get("eps", 1e-8)), clip_grad=float(opt.get("clipGrad") or 0.0),
                   bf16=tcfg.bf16, params_dtype=self.dtype, use_distributed_optimizer=ddp_kw["use_distributed_optimizer"])
        okw.update(flags["optimizer"])
        self.optimizer = get_megatron_optimizer(OptimizerConfig(**okw), [self.ddp])
        tcfg.grad_scale_func = self.optimizer.scale_loss
        tcfg.finalize_model_grads_func = finalize_model_grads
        self.opt_cfg = opt
        self.steps_done, self.tokens_trained = 0, 0

    @staticmethod
    def _init_distributed(ctx: RankContext) -> None:
        import torch.distributed as dist

        torch.cuda.set_device(ctx.rank % torch.cuda.device_count())
        if not dist.is_initialized():  # a single process without torchrun: a world of one
            import socket

            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            dist.init_process_group("nccl", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)

    # -- inputs --------------------------------------------------------------------------------
    def _piece(self, mb: MicroBatch) -> _Piece:
        from megatron.core.packed_seq_params import PackedSeqParams

        cu = torch.tensor(np.asarray(mb.cu_seqlens), dtype=torch.int32, device=self.device)
        lengths = np.diff(np.asarray(mb.cu_seqlens))
        longest = int(lengths.max()) if lengths.size else 0
        as_dev = lambda a, dt: torch.tensor(np.asarray(a), dtype=dt, device=self.device)  # noqa: E731
        return _Piece(
            tokens=as_dev(mb.tokens, torch.long), cu=cu,
            params=PackedSeqParams(qkv_format="thd", cu_seqlens_q=cu, cu_seqlens_kv=cu, max_seqlen_q=longest, max_seqlen_kv=longest),
            prompt_lengths=np.asarray(mb.prompt_lengths), response_lengths=np.asarray(mb.response_lengths),
            loss_mask=as_dev(mb.loss_mask, torch.float32), rollout=as_dev(mb.rollout_log_probs, torch.float32),
            advantages=torch.repeat_interleave(as_dev(mb.advantages, torch.float32), as_dev(mb.response_lengths, torch.long)))

    def _forward(self, module: Any, p: _Piece) -> torch.Tensor:
        return module(input_ids=p.tokens[None], position_ids=None, attention_mask=None, packed_seq_params=p.params)

    def _response_logprobs(self, output: torch.Tensor, p: _Piece, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
        logits = output[0]
        if self.tp > 1:  # vocab-parallel shards -> full vocabulary (differentiable gather)
            from megatron.core.tensor_parallel import gather_from_tensor_model_parallel_region

            logits = gather_from_tensor_model_parallel_region(logits)
        logits = logits[:, : self.shape.vocab_size]  # padded rows are not tokens
        return response_logprobs(logits, p.tokens, p.cu, p.prompt_lengths, p.response_lengths, temperature)

    # -- read-only -----------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        params = list(self.gpt.parameters())
        return {"backend": self.name, "device": str(self.device), "dtype": str(self.dtype).removeprefix("torch."),
                "worldSize": self.ctx.world_size, "parameters": sum(p.numel() for p in params) * self.tp,
                "trainableParameters": sum(p.numel() for p in params if p.requires_grad) * self.tp,
                "modelType": self.hf_cfg["model_type"], "vocabSize": self.shape.vocab_size}

    def compute_logprobs(self, micro_batches: Sequence[MicroBatch], temperature: float, model: str = "actor") -> list[LogprobResult]:
        module = self.ddp if model == "actor" else self.reference
        if module is None:
            raise InvalidInputError("no reference model: init with reference 'initial' or {path} to use model 'reference' or a KL term")
        module.eval()
        out = []
        with torch.no_grad():
            for mb in micro_batches:
                p = self._piece(mb)
                lp, ent = self._response_logprobs(self._forward(module, p), p, temperature)
                out.append(LogprobResult(lp.float().cpu().numpy(), ent.float().cpu().numpy()))
        self.ddp.train()
        return out

    # -- training ------------------------------------------------------------------------------
    def train_step(self, micro_batches: Sequence[MicroBatch], loss_config: LossConfig, step: int, *, totals: Any,
                   temperature: float) -> dict[str, float]:
        from megatron.core.pipeline_parallel import get_forward_backward_func

        error, pieces = None, []
        try:
            pieces = [self._piece(mb) for mb in micro_batches]
            if loss_config.kl.coef != 0 and self.reference is None:
                raise InvalidInputError("loss.kl.coef is set but the worker holds no reference model (init reference 'initial' or {path})")
        except Exception as caught:  # told to every rank before the first collective
            error = caught
        self.ctx.agree(error, "train_step")
        if error is not None:
            raise error
        # The schedule divides each loss by num_microbatches and DDP averages over DP; compute_loss already
        # returns each micro-batch's share of the batch aggregate, so undo both to keep a plain sum.
        scale = len(pieces) * self.dp_size
        kwargs = totals.as_kwargs() if hasattr(totals, "as_kwargs") else {
            "batch_tokens": totals.tokens, "batch_sequences": totals.sequences, "batch_max_response_length": totals.max_response_length}

        def forward_step(data_iterator, model):
            p = next(data_iterator)
            ref = None
            if loss_config.kl.coef != 0:
                with torch.no_grad():
                    ref = self._response_logprobs(self._forward(self.reference, p), p, temperature)[0]
            output = self._forward(model, p)

            def loss_func(output_tensor):
                logp, ent = self._response_logprobs(output_tensor, p, temperature)
                loss, metrics = compute_loss(logp, p.rollout, p.advantages, p.loss_mask, torch.as_tensor(p.response_lengths),
                                             loss_config, entropy=ent, ref_logp=ref, **kwargs)
                return loss * scale, torch.tensor(1, device=self.device), metrics

            return output, loss_func

        lr = _lr_at(self.steps_done, self.opt_cfg, self.sched)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.ddp.train()
        self.ddp.zero_grad_buffer()
        self.optimizer.zero_grad()
        logged = get_forward_backward_func()(
            forward_step_func=forward_step, data_iterator=iter(pieces), model=[self.ddp], num_microbatches=len(pieces),
            seq_length=max(int(p.tokens.numel()) for p in pieces), micro_batch_size=1, forward_only=False)
        ok, grad_norm, _ = self.optimizer.step()
        if not ok:
            raise TrainerError(f"step {step}: the Megatron optimizer skipped the update (non-finite gradients)")
        sums = self._sum_metrics(logged)
        self.steps_done += 1
        self.tokens_trained += int(totals.tokens)
        sums.update(grad_norm=float(grad_norm) if grad_norm is not None else 0.0, lr=lr)
        if loss_config.policy_loss != "sft":
            sums.pop("sft_loss", None)
        return sums

    def _sum_metrics(self, logged: list[dict[str, torch.Tensor]]) -> dict[str, float]:
        """Micro-batch shares summed, then summed over the data-parallel group."""
        import torch.distributed as dist

        keys = sorted({k for d in logged for k in d})
        values = torch.tensor([sum(float(d.get(k, 0.0)) for d in logged) for k in keys], dtype=torch.float64, device=self.device)
        if self.dp_size > 1:
            dist.all_reduce(values, group=self.ps.get_data_parallel_group())
        return dict(zip(keys, values.tolist()))

    # -- weights out ---------------------------------------------------------------------------
    def export_state_dict_hf(self) -> Mapping[str, Any]:
        import torch.distributed as dist

        full = {}
        for name, t in self.gpt.state_dict().items():
            if name.endswith("_extra_state") or not torch.is_tensor(t):
                continue
            if self.tp > 1:
                shards = [torch.empty_like(t) for _ in range(self.tp)]
                dist.all_gather(shards, t.contiguous(), group=self.ps.get_tensor_model_parallel_group())
                t = merge_tp(name, shards, self.shape)
            full[name] = t.detach().cpu()
        return mcore_to_hf(full, self.shape)

    def hf_config(self) -> dict[str, Any]:
        return dict(self.hf_cfg)

    def tokenizer_dir(self) -> Path | None:
        return self.model_dir

    # -- checkpoints (torch_dist for model and optimizer; JSON + torch.save for the rest) -------
    def save(self, directory: Path) -> None:
        from megatron.core import dist_checkpointing

        try:
            model_sd = self.gpt.sharded_state_dict(prefix="")
            (directory / "model").mkdir(parents=True, exist_ok=True)
            dist_checkpointing.save(sharded_state_dict=model_sd, checkpoint_dir=str(directory / "model"))
            (directory / "optimizer").mkdir(exist_ok=True)
            dist_checkpointing.save(sharded_state_dict=self.optimizer.sharded_state_dict(model_sd), checkpoint_dir=str(directory / "optimizer"))
            if self.ctx.rank == 0:
                (directory / "megatron_state.json").write_text(json.dumps({"steps": self.steps_done, "tokens": self.tokens_trained}))
            torch.save({"cpu": torch.get_rng_state(), "cuda": torch.cuda.get_rng_state()}, directory / f"rng_rank{self.ctx.rank}.pt")
        except Exception as error:
            raise CheckpointError(f"megatron save to {str(directory)!r} failed: {error}", rank=self.ctx.rank) from error

    def load(self, directory: Path) -> None:
        from megatron.core import dist_checkpointing

        try:
            model_sd = self.gpt.sharded_state_dict(prefix="")
            self.gpt.load_state_dict(dist_checkpointing.load(sharded_state_dict=model_sd, checkpoint_dir=str(directory / "model")))
            model_sd = self.gpt.sharded_state_dict(prefix="")
            opt_sd = dist_checkpointing.load(sharded_state_dict=self.optimizer.sharded_state_dict(model_sd, is_loading=True),
                                             checkpoint_dir=str(directory / "optimizer"))
            self.optimizer.load_state_dict(opt_sd)
            meta = json.loads((directory / "megatron_state.json").read_text())
            self.steps_done, self.tokens_trained = int(meta["steps"]), int(meta["tokens"])
            rng = directory / f"rng_rank{self.ctx.rank}.pt"
            if rng.is_file():
                states = torch.load(rng, weights_only=False)
                torch.set_rng_state(states["cpu"])
                torch.cuda.set_rng_state(states["cuda"])
        except Exception as error:
            raise CheckpointError(f"megatron load from {str(directory)!r} failed: {error}", rank=self.ctx.rank) from error

    def stats(self) -> dict[str, Any]:
        return {"device": str(self.device), "tokensTrained": self.tokens_trained,
                "peakMemoryMb": torch.cuda.max_memory_allocated(self.device) / 2**20, "at": time.time()}
