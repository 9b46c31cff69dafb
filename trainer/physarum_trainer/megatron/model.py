"""Building a megatron-core GPTModel (local spec, no TE/Apex) from an HF model directory.

Everything megatron is imported inside the functions; ``import_megatron`` turns its absence into
BackendUnavailableError. Facts followed: reference/megatron-worker.md §1.2–1.6 (verified on one H100).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..errors import BackendUnavailableError, InvalidInputError, ModelNotFoundError
from .attention import varlen_core_attention
from .convert import ModelShape, hf_to_mcore, pad_vocab_size, split_state_dict


def import_megatron():
    try:
        import megatron.core as mc
        from megatron.core import parallel_state  # noqa: F401  (fails early on a half-installed copy)
    except ImportError as error:
        raise BackendUnavailableError(
            f"megatron-core is not installed ({error}); install it or put its source on PYTHONPATH "
            "(gpu_check.py --megatron-src DIR does that), or use backend 'torch_hf'") from error
    return mc


def load_hf_weights(model_dir: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise ModelNotFoundError(f"{str(model_dir)!r} holds no *.safetensors weights")
    state: dict[str, torch.Tensor] = {}
    for f in files:
        state.update(load_file(str(f)))
    return state


def rope_base(hf_config: dict[str, Any]) -> float:
    params = hf_config.get("rope_parameters") or hf_config.get("rope_scaling") or {}
    kind = params.get("rope_type", params.get("type", "default"))
    if kind not in (None, "default"):
        raise InvalidInputError(f"rope type {kind!r} is not supported by the megatron backend (plain RoPE only)")
    return float(hf_config.get("rope_theta") or params.get("rope_theta") or 10000.0)


def transformer_config(shape: ModelShape, hf_config: dict[str, Any], dtype: torch.dtype, overrides: dict[str, Any],
                       *, tp: int, pp: int, recompute: bool):
    from megatron.core.transformer import TransformerConfig

    kw: dict[str, Any] = dict(
        num_layers=shape.num_layers, hidden_size=shape.hidden_size, num_attention_heads=shape.num_attention_heads,
        num_query_groups=shape.num_query_groups, kv_channels=shape.head_dim, ffn_hidden_size=shape.ffn_hidden_size,
        normalization="RMSNorm", layernorm_epsilon=float(hf_config.get("rms_norm_eps", 1e-6)),
        gated_linear_unit=True, activation_func=F.silu, add_bias_linear=False, add_qkv_bias=shape.qkv_bias,
        qk_layernorm=shape.qk_layernorm, hidden_dropout=0.0, attention_dropout=0.0,
        # everything that would need Transformer Engine or Apex off
        bias_activation_fusion=False, bias_dropout_fusion=False, masked_softmax_fusion=False, apply_rope_fusion=False,
        persist_layer_norm=False, gradient_accumulation_fusion=False,
        bf16=dtype == torch.bfloat16, params_dtype=dtype, pipeline_dtype=dtype,
        tensor_model_parallel_size=tp, pipeline_model_parallel_size=pp, calculate_per_token_loss=False)
    if recompute:
        kw.update(recompute_granularity="full", recompute_method="uniform", recompute_num_layers=1)
    kw.update(overrides)
    return TransformerConfig(**kw)


def build_gpt(shape: ModelShape, hf_config: dict[str, Any], config) -> Any:
    from megatron.core.models.gpt import GPTModel
    from megatron.core.models.gpt.gpt_layer_specs import get_gpt_layer_local_spec

    # normalization is passed explicitly: the module default is Apex's FusedLayerNorm when Apex is present
    spec = get_gpt_layer_local_spec(normalization="RMSNorm", qk_layernorm=shape.qk_layernorm)
    spec.submodules.self_attention.submodules.core_attention = varlen_core_attention()
    return GPTModel(config=config, transformer_layer_spec=spec, vocab_size=shape.mcore_vocab,
                    max_sequence_length=int(hf_config.get("max_position_embeddings", 4096)),
                    position_embedding_type="rope", rotary_base=rope_base(hf_config), rotary_percent=1.0,
                    share_embeddings_and_output_weights=shape.tie_word_embeddings, parallel_output=True)


def load_into(gpt: Any, hf_state: dict[str, torch.Tensor], shape: ModelShape, tp: int, tp_rank: int) -> None:
    """HF weights -> this TP rank's shard, loaded into ``gpt``; any parameter left out is an error."""
    shard = split_state_dict(hf_to_mcore(hf_state, shape), tp, shape)[tp_rank]
    missing, unexpected = gpt.load_state_dict(shard, strict=False)
    missing = [k for k in missing if not k.endswith("_extra_state")]
    if missing or unexpected:
        raise InvalidInputError(f"HF -> Megatron load left parameters out: missing {missing[:3]}, unexpected {list(unexpected)[:3]}")


def shape_for(model_dir: Path, tp: int) -> tuple[ModelShape, dict[str, Any]]:
    hf_config = json.loads((model_dir / "config.json").read_text())
    shape = ModelShape.from_hf_config(hf_config, padded_vocab_size=pad_vocab_size(int(hf_config["vocab_size"]), 128, tp))
    return shape, hf_config
