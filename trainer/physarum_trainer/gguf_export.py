"""HF Qwen3 checkpoint -> GGUF that llama.cpp's `qwen3` loader accepts.

The trainer reuses `export_gguf` to publish new weights to the embedded engine. Always write to a
*new* path: llama.cpp memory-maps a loaded GGUF, so overwriting it in place corrupts the running
model (the engine's `/update_weights_from_disk` takes the new path).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import gguf
from gguf import GGUFValueType

from .tokenizer_files import vocab_size_of

# HF tensor-name suffix -> llama.cpp name (per layer), for the qwen3 architecture.
_LAYER_TENSORS = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


class _Writer(gguf.GGUFWriter):
    """GGUFWriter that can write an empty string array (a byte-level BPE has no merges, and
    llama.cpp requires the merges key to exist; stock gguf-py refuses empty arrays)."""

    def _pack_val(self, val: Any, vtype: GGUFValueType, add_vtype: bool, sub_type: GGUFValueType | None = None) -> bytes:
        if vtype == GGUFValueType.ARRAY and len(val) == 0:
            head = self._pack("I", vtype) if add_vtype else b""
            return head + self._pack("I", sub_type or GGUFValueType.STRING) + self._pack("Q", 0)
        return super()._pack_val(val, vtype, add_vtype, sub_type)


def gguf_tensor_name(hf_name: str) -> str | None:
    """llama.cpp name of an HF Qwen3 tensor (None for tensors llama.cpp does not take)."""
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    if hf_name == "lm_head.weight":
        return "output.weight"
    if hf_name.startswith("model.layers."):
        index, _, rest = hf_name[len("model.layers."):].partition(".")
        if rest in _LAYER_TENSORS:
            return f"blk.{int(index)}.{_LAYER_TENSORS[rest]}"
    if hf_name.endswith("rotary_emb.inv_freq"):
        return None
    raise ValueError(f"unexpected tensor {hf_name!r} for a qwen3 checkpoint")


def _token_table(tokenizer_json: dict[str, Any], vocab_size: int) -> tuple[list[str], list[int], list[str]]:
    tokens = [""] * vocab_size
    types = [int(gguf.TokenType.UNUSED)] * vocab_size
    for piece, idx in tokenizer_json["model"]["vocab"].items():
        if idx < vocab_size:
            tokens[idx], types[idx] = piece, int(gguf.TokenType.NORMAL)
    for added in tokenizer_json.get("added_tokens", []):
        if added["id"] < vocab_size:
            tokens[added["id"]] = added["content"]
            types[added["id"]] = int(gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED)
    for idx in range(vocab_size):
        if tokens[idx] == "":
            tokens[idx] = f"[PAD{idx}]"
    merges = [m if isinstance(m, str) else " ".join(m) for m in tokenizer_json["model"].get("merges", [])]
    return tokens, types, merges


def _token_id(tokenizer_json: dict[str, Any], content: Any) -> int | None:
    if isinstance(content, dict):
        content = content.get("content")
    if not isinstance(content, str):
        return None
    for added in tokenizer_json.get("added_tokens", []):
        if added["content"] == content:
            return int(added["id"])
    vocab_id = tokenizer_json["model"]["vocab"].get(content)
    return None if vocab_id is None else int(vocab_id)


def export_gguf(
    config: Mapping[str, Any],
    state_dict: Mapping[str, Any],
    tokenizer_json: dict[str, Any],
    tokenizer_config: Mapping[str, Any],
    out_path: str | os.PathLike[str],
    dtype: str = "f32",
    name: str = "physarum-tiny",
) -> Path:
    """Write a qwen3 GGUF. `state_dict` values are torch tensors or numpy arrays (HF names).
    `dtype` is the storage type of 2-D weights (`f32` or `f16`); norms always stay f32."""
    if config.get("model_type") != "qwen3":
        raise ValueError(f"export_gguf supports model_type 'qwen3', got {config.get('model_type')!r}")
    if dtype not in ("f32", "f16"):
        raise ValueError(f"dtype must be 'f32' or 'f16', got {dtype!r}")
    out = Path(out_path)
    vocab_size = int(config["vocab_size"])
    if vocab_size_of(tokenizer_json) > vocab_size:
        raise ValueError(f"tokenizer has {vocab_size_of(tokenizer_json)} ids but vocab_size is {vocab_size}")
    heads = int(config["num_attention_heads"])
    head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)

    tmp = out.with_name(out.name + ".partial")
    writer = _Writer(str(tmp), "qwen3")
    writer.add_name(name)
    writer.add_file_type(int(gguf.LlamaFileType.ALL_F32 if dtype == "f32" else gguf.LlamaFileType.MOSTLY_F16))
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(heads)
    writer.add_head_count_kv(int(config["num_key_value_heads"]))
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    rope_theta = config.get("rope_theta") or (config.get("rope_parameters") or {}).get("rope_theta") or 1_000_000.0
    writer.add_rope_freq_base(float(rope_theta))
    writer.add_layer_norm_rms_eps(float(config["rms_norm_eps"]))

    tokens, types, merges = _token_table(tokenizer_json, vocab_size)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_key_value(gguf.Keys.Tokenizer.MERGES, merges, GGUFValueType.ARRAY, sub_type=GGUFValueType.STRING)
    pad_id = _token_id(tokenizer_json, tokenizer_config.get("pad_token")) or _token_id(tokenizer_json, "<|endoftext|>")
    eos_id = _token_id(tokenizer_json, tokenizer_config.get("eos_token"))
    bos_id = _token_id(tokenizer_json, tokenizer_config.get("bos_token"))
    writer.add_bos_token_id(bos_id if bos_id is not None else (pad_id if pad_id is not None else 0))
    if eos_id is not None:
        writer.add_eos_token_id(eos_id)
    if pad_id is not None:
        writer.add_pad_token_id(pad_id)
    writer.add_add_bos_token(bool(tokenizer_config.get("add_bos_token", False)))
    if isinstance(tokenizer_config.get("chat_template"), str):
        writer.add_chat_template(tokenizer_config["chat_template"])

    for hf_name in sorted(state_dict):
        gguf_name = gguf_tensor_name(hf_name)
        if gguf_name is None or (gguf_name == "output.weight" and config.get("tie_word_embeddings")):
            continue  # tied heads: llama.cpp falls back to token_embd when `output` is absent
        tensor = state_dict[hf_name]
        array = tensor.detach().to("cpu").float().numpy() if hasattr(tensor, "detach") else np.asarray(tensor, dtype=np.float32)
        # llama.cpp keeps 1-D tensors (norms) in f32 whatever the file type.
        array = array.astype(np.float16 if dtype == "f16" and array.ndim > 1 else np.float32)
        writer.add_tensor(gguf_name, np.ascontiguousarray(array))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, out)
    return out


def export_gguf_from_dir(model_dir: str | os.PathLike[str], out_path: str | os.PathLike[str], dtype: str = "f32") -> Path:
    """Export an HF checkpoint directory (config.json, *.safetensors, tokenizer files) to GGUF."""
    from safetensors.torch import load_file  # torch, not numpy: trainer checkpoints may be bf16

    root = Path(model_dir)
    config = json.loads((root / "config.json").read_text())
    state: dict[str, Any] = {}
    for shard in sorted(root.glob("*.safetensors")):
        state.update(load_file(str(shard)))
    if not state:
        raise FileNotFoundError(f"no *.safetensors under {root}")
    tokenizer_json = json.loads((root / "tokenizer.json").read_text())
    cfg_path = root / "tokenizer_config.json"
    tokenizer_config = json.loads(cfg_path.read_text()) if cfg_path.is_file() else {}
    return export_gguf(config, state, tokenizer_json, tokenizer_config, out_path, dtype=dtype, name=root.name)


def publish_gguf(model: Any, tokenizer_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], version: str,
                 dtype: str = "f32") -> Path:
    """Export a live HF model (e.g. after a train step) to `out_dir/weights-<version>.gguf`, a new
    file per version, ready for the embedded engine's `/update_weights_from_disk`.

    Refuses to overwrite an existing file: the engine may have it memory-mapped."""
    if not version or any(ch in version for ch in "/\\\0"):
        raise ValueError(f"version {version!r} cannot name a file")
    out = Path(out_dir) / f"weights-{version}.gguf"
    if out.exists():
        raise FileExistsError(f"{out} exists; publish each version under a new path (the engine memory-maps loaded GGUFs)")
    out.parent.mkdir(parents=True, exist_ok=True)
    root = Path(tokenizer_dir)
    tokenizer_json = json.loads((root / "tokenizer.json").read_text())
    cfg_path = root / "tokenizer_config.json"
    tokenizer_config = json.loads(cfg_path.read_text()) if cfg_path.is_file() else {}
    config = model.config.to_dict()
    return export_gguf(config, model.state_dict(), tokenizer_json, tokenizer_config, out, dtype=dtype, name=f"physarum-{version}")
