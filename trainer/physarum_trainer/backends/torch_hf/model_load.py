"""Build the torch_hf model: from an HF directory or a tiny-model spec, on the chosen device and
dtype, with optional LoRA adapters (peft) and an optional frozen reference."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ...errors import BackendUnavailableError, InvalidInputError, ModelNotFoundError
from ...model_source import model_directory

SUPPORTED_MODEL_TYPES = ("qwen2", "qwen3", "llama")


@dataclass
class LoadedModel:
    model: Any
    """The trained module (a peft model when LoRA is on)."""
    model_dir: Path
    """HF directory holding config.json and the tokenizer files."""
    config: dict[str, Any]
    device: torch.device
    dtype: torch.dtype
    reference: Any | None
    """A frozen copy for KL (None: no reference; with LoRA the base model with adapters off is used)."""
    lora: bool
    tmp: Any = None
    """Keeps a tiny model's temporary directory alive."""


def resolve_device(name: str) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise BackendUnavailableError("device 'cuda' asked for but torch sees no CUDA device")
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def resolve_dtype(name: str | None, device: torch.device) -> torch.dtype:
    if name is None:
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16}[name]


def _attention_implementation(device: torch.device) -> str:
    # flash-attn varlen reads sequence boundaries from position_ids; SDPA gets the block-diagonal mask
    # transformers builds from the same restarting position_ids (masking_utils.find_packed_sequence_indices).
    if device.type == "cuda":
        try:
            import flash_attn  # noqa: F401

            return "flash_attention_2"
        except ImportError:
            pass
    return "sdpa"


def load_model(cfg: dict[str, Any]) -> LoadedModel:
    from transformers import AutoModelForCausalLM

    model_dir, tmp = model_directory(cfg["model"])
    config = json.loads((model_dir / "config.json").read_text())
    if config.get("model_type") not in SUPPORTED_MODEL_TYPES:
        raise InvalidInputError(f"model {str(model_dir)!r} is a {config.get('model_type')!r}; torch_hf takes {', '.join(SUPPORTED_MODEL_TYPES)}")
    device = resolve_device(cfg["device"])
    dtype = resolve_dtype(cfg.get("dtype"), device)
    try:
        model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype, attn_implementation=_attention_implementation(device))
    except OSError as error:
        raise ModelNotFoundError(f"model.path {str(model_dir)!r}: {error}") from error
    model.to(device)
    model.config.use_cache = False
    if cfg.get("activationCheckpointing"):
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    reference = None
    lora = cfg.get("lora")
    if lora:
        model = _with_lora(model, lora)
        if cfg.get("activationCheckpointing"):
            model.enable_input_require_grads()  # the frozen embedding output must carry grad into checkpointed blocks
    if cfg.get("reference") == "initial" and not lora:
        reference = _frozen(copy.deepcopy(model))
    elif isinstance(cfg.get("reference"), dict):
        ref_dir = Path(cfg["reference"]["path"]).expanduser()
        if not (ref_dir / "config.json").is_file():
            raise ModelNotFoundError(f"reference.path {str(ref_dir)!r} is not an HF model directory (no config.json there)")
        reference = _frozen(AutoModelForCausalLM.from_pretrained(str(ref_dir), dtype=dtype, attn_implementation=_attention_implementation(device)).to(device))
    model.train()
    return LoadedModel(model=model, model_dir=model_dir, config=config, device=device, dtype=dtype, reference=reference, lora=bool(lora), tmp=tmp)


def _frozen(model: Any) -> Any:
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def _with_lora(model: Any, lora: dict[str, Any]) -> Any:
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as error:
        raise BackendUnavailableError("lora needs the 'peft' package (pip install peft; it is in trainer/requirements.txt)") from error
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [m for m in lora["targetModules"] if m not in names]
    if missing:
        raise InvalidInputError(f"lora.targetModules: {missing[0]!r} names no module of this model (e.g. q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)")
    config = LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora.get("dropout", 0.0),
                        target_modules=list(lora["targetModules"]), bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)
