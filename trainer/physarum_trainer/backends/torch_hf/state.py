"""torch_hf state in and out: merged HF weights for export, and this rank's checkpoint files.

Checkpoint layout (inside the directory the worker makes atomic):
  model.pt      full state dict, or only the LoRA adapter weights (rank 0)
  optim.pt      optimizer + scheduler state (rank 0; replicas are identical under DP)
  rng-<r>.pt    RNG states of rank r (a run with more ranks falls back to rank 0's)
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...errors import CheckpointError


def merged_hf_state_dict(model: Any, lora: bool, tied: bool) -> dict[str, torch.Tensor]:
    """HF-named CPU tensors; LoRA deltas are merged (W + scale·B·A) without touching the live model."""
    if not lora:
        items = dict(model.state_dict())
    else:
        from peft.tuners.lora import LoraLayer

        base = model.get_base_model()
        items = {}
        for name, tensor in base.state_dict().items():
            if ".lora_" in name:
                continue
            items[name.replace(".base_layer.", ".")] = tensor
        with torch.no_grad():
            for name, module in base.named_modules():
                if isinstance(module, LoraLayer):
                    for adapter in module.active_adapters:
                        key = f"{name}.weight"
                        items[key] = items[key] + module.get_delta_weight(adapter).to(items[key].dtype)
    if tied:
        items.pop("lm_head.weight", None)  # HF and llama.cpp both re-tie it from the embedding
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in items.items()}


def _write(obj: Any, path: Path) -> None:
    with open(path, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())


def _rng_state() -> dict[str, Any]:
    out = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def _set_rng_state(rng: dict[str, Any]) -> None:
    torch.set_rng_state(rng["torch"])
    np.random.set_state(rng["numpy"])
    random.setstate(rng["python"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])


def _trainable_state(backend: Any) -> dict[str, torch.Tensor]:
    if backend.loaded.lora:
        from peft import get_peft_model_state_dict

        return get_peft_model_state_dict(backend.model)
    return backend.model.state_dict()


def save_checkpoint(backend: Any, directory: Path) -> None:
    rank = backend.ctx.rank
    if rank == 0:
        _write({"lora": backend.loaded.lora, "weights": _trainable_state(backend)}, directory / "model.pt")
        _write({"optimizer": backend.optimizer.state_dict(), "scheduler": backend.scheduler.state_dict(),
                "tokens_trained": backend.tokens_trained, "steps_done": backend.steps_done}, directory / "optim.pt")
    _write(_rng_state(), directory / f"rng-{rank}.pt")


def load_checkpoint(backend: Any, directory: Path) -> None:
    try:
        model = torch.load(directory / "model.pt", map_location=backend.device, weights_only=False)
        optim = torch.load(directory / "optim.pt", map_location=backend.device, weights_only=False)
        rng_path = directory / f"rng-{backend.ctx.rank}.pt"
        rng = torch.load(rng_path if rng_path.exists() else directory / "rng-0.pt", weights_only=False)
    except (OSError, RuntimeError, EOFError) as error:
        raise CheckpointError(f"checkpoint {str(directory)!r} cannot be read: {error}") from error
    if model["lora"] != backend.loaded.lora:
        raise CheckpointError(f"checkpoint {str(directory)!r} was saved {'with' if model['lora'] else 'without'} LoRA; this worker runs {'with' if backend.loaded.lora else 'without'}")
    if backend.loaded.lora:
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(backend.model, model["weights"])
    else:
        backend.model.load_state_dict(model["weights"])
    backend.optimizer.load_state_dict(optim["optimizer"])
    backend.scheduler.load_state_dict(optim["scheduler"])
    backend.tokens_trained = optim["tokens_trained"]
    backend.steps_done = optim["steps_done"]
    _set_rng_state(rng)
