"""Megatron-core (local spec) <-> HF weights for dense Qwen2, Qwen3 and Llama; pure torch, no megatron import.

Name map per layer i (mcore ``decoder.layers.i.`` / HF ``model.layers.i.``):

  input_layernorm.weight              <-> input_layernorm.weight
  self_attention.linear_qkv.{w,b}     <-> self_attn.{q,k,v}_proj.{w,b}   (merged, see below)
  self_attention.{q,k}_layernorm.w    <-> self_attn.{q,k}_norm.weight      (Qwen3)
  self_attention.linear_proj.weight   <-> self_attn.o_proj.weight
  pre_mlp_layernorm.weight            <-> post_attention_layernorm.weight
  mlp.linear_fc1.weight               <-> mlp.{gate,up}_proj.weight       (stacked gate; up)
  mlp.linear_fc2.weight               <-> mlp.down_proj.weight

plus embedding.word_embeddings / model.embed_tokens, decoder.final_layernorm / model.norm and
output_layer / lm_head (absent when the embeddings are tied). ``*._extra_state`` keys are skipped,
and TE-spec norm names (``linear_qkv.layer_norm_weight``, ``linear_fc1.layer_norm_weight``) are read too.

linear_qkv interleaves per query group: rows are [q heads of group 0, k0, v0, q heads of group 1, k1, v1, ...]
(each head ``head_dim`` rows), where HF concatenates all q, then all k, then all v. The vocabulary is
zero-padded to ``padded_vocab_size`` on the way in and trimmed on the way out.

Tensor parallelism (``split_tp`` / ``merge_tp``): column-parallel linear_qkv (whole query groups per
rank, which the interleaved layout makes a plain row split) and linear_fc1 (gate and up each split,
then re-stacked per rank); row-parallel linear_proj and linear_fc2 (columns); vocab-parallel
embedding and output layer (rows); norms replicated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

import torch

from ..errors import InvalidInputError

FAMILIES = ("qwen2", "qwen3", "llama")


@dataclass(frozen=True)
class ModelShape:
    family: str
    num_layers: int
    hidden_size: int
    num_attention_heads: int
    num_query_groups: int
    head_dim: int
    ffn_hidden_size: int
    vocab_size: int
    tie_word_embeddings: bool
    qkv_bias: bool
    qk_layernorm: bool
    padded_vocab_size: int | None = None

    @property
    def heads_per_group(self) -> int:
        return self.num_attention_heads // self.num_query_groups

    @property
    def mcore_vocab(self) -> int:
        return self.padded_vocab_size or self.vocab_size

    @classmethod
    def from_hf_config(cls, config: Mapping[str, Any], padded_vocab_size: int | None = None) -> "ModelShape":
        family = config.get("model_type")
        if family not in FAMILIES:
            raise InvalidInputError(f"model_type {family!r} has no Megatron conversion; supported: {', '.join(FAMILIES)}")
        heads = int(config["num_attention_heads"])
        groups = int(config.get("num_key_value_heads") or heads)
        if heads % groups:
            raise InvalidInputError(f"num_attention_heads {heads} is not a multiple of num_key_value_heads {groups}")
        hidden = int(config["hidden_size"])
        bias = {"qwen2": True, "qwen3": bool(config.get("attention_bias", False)), "llama": bool(config.get("attention_bias", False))}[family]
        return cls(
            family=family, num_layers=int(config["num_hidden_layers"]), hidden_size=hidden, num_attention_heads=heads,
            num_query_groups=groups, head_dim=int(config.get("head_dim") or hidden // heads),
            ffn_hidden_size=int(config["intermediate_size"]), vocab_size=int(config["vocab_size"]),
            tie_word_embeddings=bool(config.get("tie_word_embeddings", False)), qkv_bias=bias,
            qk_layernorm=family == "qwen3", padded_vocab_size=padded_vocab_size)


def pad_vocab_size(vocab_size: int, divisible_by: int = 128, tp: int = 1) -> int:
    """Megatron's padding: the vocabulary rounded up to a multiple of divisible_by × TP."""
    multiple = divisible_by * tp
    return -(-vocab_size // multiple) * multiple


# --- per-tensor transforms --------------------------------------------------------------------------


def merge_qkv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, shape: ModelShape) -> torch.Tensor:
    """HF q/k/v (weight [heads·d, H] or bias [heads·d]) -> Megatron's per-group interleaved linear_qkv."""
    g, per, d = shape.num_query_groups, shape.heads_per_group, shape.head_dim
    rest = q.shape[1:]
    stacked = torch.cat([q.reshape(g, per, d, *rest), k.reshape(g, 1, d, *rest), v.reshape(g, 1, d, *rest)], dim=1)
    return stacked.reshape(g * (per + 2) * d, *rest)


def split_qkv(qkv: torch.Tensor, shape: ModelShape) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inverse of merge_qkv."""
    g, per, d = shape.num_query_groups, shape.heads_per_group, shape.head_dim
    rest = qkv.shape[1:]
    grouped = qkv.reshape(g, per + 2, d, *rest)
    flat = lambda x: x.reshape(-1, *rest).contiguous()  # noqa: E731
    return flat(grouped[:, :per]), flat(grouped[:, per : per + 1]), flat(grouped[:, per + 1 :])


def _pad_rows(t: torch.Tensor, rows: int) -> torch.Tensor:
    if t.shape[0] == rows:
        return t
    if t.shape[0] > rows:
        raise InvalidInputError(f"vocabulary of {t.shape[0]} rows does not fit the padded size {rows}")
    return torch.cat([t, t.new_zeros(rows - t.shape[0], *t.shape[1:])])


# --- whole state dicts ------------------------------------------------------------------------------

_LAYER_SIMPLE = {  # mcore suffix -> HF suffix (per layer)
    "input_layernorm.weight": "input_layernorm.weight",
    "self_attention.linear_qkv.layer_norm_weight": "input_layernorm.weight",  # TE-spec name
    "self_attention.linear_proj.weight": "self_attn.o_proj.weight",
    "self_attention.q_layernorm.weight": "self_attn.q_norm.weight",
    "self_attention.k_layernorm.weight": "self_attn.k_norm.weight",
    "pre_mlp_layernorm.weight": "post_attention_layernorm.weight",
    "mlp.linear_fc1.layer_norm_weight": "post_attention_layernorm.weight",  # TE-spec name
    "mlp.linear_fc2.weight": "mlp.down_proj.weight",
}
_LAYER = re.compile(r"decoder\.layers\.(\d+)\.(.+)")


def mcore_to_hf(state: Mapping[str, torch.Tensor], shape: ModelShape) -> dict[str, torch.Tensor]:
    """A full (TP-merged) Megatron state dict -> HF names and layouts."""
    out: dict[str, torch.Tensor] = {}
    for name, t in state.items():
        if name.endswith("_extra_state"):
            continue
        if name == "embedding.word_embeddings.weight":
            out["model.embed_tokens.weight"] = t[: shape.vocab_size]
        elif name == "output_layer.weight":
            if not shape.tie_word_embeddings:
                out["lm_head.weight"] = t[: shape.vocab_size]
        elif name == "decoder.final_layernorm.weight":
            out["model.norm.weight"] = t
        else:
            m = _LAYER.fullmatch(name)
            if m is None:
                raise InvalidInputError(f"no HF name for Megatron parameter {name!r}")
            prefix, rest = f"model.layers.{m.group(1)}.", m.group(2)
            if rest in _LAYER_SIMPLE:
                out[prefix + _LAYER_SIMPLE[rest]] = t
            elif rest in ("self_attention.linear_qkv.weight", "self_attention.linear_qkv.bias"):
                kind = rest.rsplit(".", 1)[1]
                for proj, part in zip("qkv", split_qkv(t, shape)):
                    out[f"{prefix}self_attn.{proj}_proj.{kind}"] = part
            elif rest == "mlp.linear_fc1.weight":
                gate, up = t.chunk(2, dim=0)
                out[prefix + "mlp.gate_proj.weight"] = gate.contiguous()
                out[prefix + "mlp.up_proj.weight"] = up.contiguous()
            else:
                raise InvalidInputError(f"no HF name for Megatron parameter {name!r}")
    return out


def hf_to_mcore(state: Mapping[str, torch.Tensor], shape: ModelShape) -> dict[str, torch.Tensor]:
    """HF weights -> a full (TP-merged) Megatron local-spec state dict (vocabulary padded)."""
    hf = dict(state)
    take = lambda key: _take(hf, key)  # noqa: E731
    out = {"embedding.word_embeddings.weight": _pad_rows(take("model.embed_tokens.weight"), shape.mcore_vocab)}
    for i in range(shape.num_layers):
        p, m = f"model.layers.{i}.", f"decoder.layers.{i}."
        out[m + "input_layernorm.weight"] = take(p + "input_layernorm.weight")
        out[m + "self_attention.linear_qkv.weight"] = merge_qkv(
            take(p + "self_attn.q_proj.weight"), take(p + "self_attn.k_proj.weight"), take(p + "self_attn.v_proj.weight"), shape)
        if shape.qkv_bias:
            out[m + "self_attention.linear_qkv.bias"] = merge_qkv(
                take(p + "self_attn.q_proj.bias"), take(p + "self_attn.k_proj.bias"), take(p + "self_attn.v_proj.bias"), shape)
        if shape.qk_layernorm:
            out[m + "self_attention.q_layernorm.weight"] = take(p + "self_attn.q_norm.weight")
            out[m + "self_attention.k_layernorm.weight"] = take(p + "self_attn.k_norm.weight")
        out[m + "self_attention.linear_proj.weight"] = take(p + "self_attn.o_proj.weight")
        out[m + "pre_mlp_layernorm.weight"] = take(p + "post_attention_layernorm.weight")
        out[m + "mlp.linear_fc1.weight"] = torch.cat([take(p + "mlp.gate_proj.weight"), take(p + "mlp.up_proj.weight")])
        out[m + "mlp.linear_fc2.weight"] = take(p + "mlp.down_proj.weight")
    out["decoder.final_layernorm.weight"] = take("model.norm.weight")
    lm_head = hf.pop("lm_head.weight", None)
    if not shape.tie_word_embeddings:
        if lm_head is None:
            raise InvalidInputError("HF weights lack lm_head.weight but tie_word_embeddings is false")
        out["output_layer.weight"] = _pad_rows(lm_head, shape.mcore_vocab)
    hf = {k: v for k, v in hf.items() if not k.endswith("rotary_emb.inv_freq")}
    if hf:
        raise InvalidInputError(f"HF weight {sorted(hf)[0]!r} has no Megatron counterpart")
    return out


def _take(hf: dict[str, torch.Tensor], key: str) -> torch.Tensor:
    if key not in hf:
        raise InvalidInputError(f"HF weights lack {key!r}")
    return hf.pop(key)


def mcore_shapes(shape: ModelShape) -> dict[str, tuple[int, ...]]:
    """Every local-spec parameter name with its full (TP=1) shape."""
    h, d, ff, v = shape.hidden_size, shape.head_dim, shape.ffn_hidden_size, shape.mcore_vocab
    qkv_rows = (shape.num_attention_heads + 2 * shape.num_query_groups) * d
    out: dict[str, tuple[int, ...]] = {"embedding.word_embeddings.weight": (v, h)}
    for i in range(shape.num_layers):
        m = f"decoder.layers.{i}."
        out[m + "input_layernorm.weight"] = (h,)
        out[m + "self_attention.linear_qkv.weight"] = (qkv_rows, h)
        if shape.qkv_bias:
            out[m + "self_attention.linear_qkv.bias"] = (qkv_rows,)
        if shape.qk_layernorm:
            out[m + "self_attention.q_layernorm.weight"] = (d,)
            out[m + "self_attention.k_layernorm.weight"] = (d,)
        out[m + "self_attention.linear_proj.weight"] = (h, shape.num_attention_heads * d)
        out[m + "pre_mlp_layernorm.weight"] = (h,)
        out[m + "mlp.linear_fc1.weight"] = (2 * ff, h)
        out[m + "mlp.linear_fc2.weight"] = (h, ff)
    out["decoder.final_layernorm.weight"] = (h,)
    if not shape.tie_word_embeddings:
        out["output_layer.weight"] = (v, h)
    return out


# --- tensor parallelism -----------------------------------------------------------------------------


def tp_kind(name: str) -> str:
    """'qkv' | 'fc1' | 'column' | 'row' | 'vocab' | 'replicated' for a Megatron parameter name."""
    if name.endswith(("linear_qkv.weight", "linear_qkv.bias")):
        return "qkv"
    if name.endswith("linear_fc1.weight"):
        return "fc1"
    if name.endswith(("linear_proj.weight", "linear_fc2.weight")):
        return "row"
    if name in ("embedding.word_embeddings.weight", "output_layer.weight"):
        return "vocab"
    return "replicated"


def split_tp(name: str, t: torch.Tensor, tp: int, shape: ModelShape) -> list[torch.Tensor]:
    """The full tensor -> the tp shards Megatron's ranks hold."""
    kind = tp_kind(name)
    if tp == 1 or kind == "replicated":
        return [t] * tp
    if kind == "qkv" and shape.num_query_groups % tp:
        raise InvalidInputError(f"num_query_groups {shape.num_query_groups} is not divisible by TP {tp}")
    if kind == "fc1":
        gate, up = t.chunk(2, dim=0)
        return [torch.cat([g, u]) for g, u in zip(_chunks(gate, tp, 0, name), _chunks(up, tp, 0, name))]
    return _chunks(t, tp, 1 if kind == "row" else 0, name)


def merge_tp(name: str, shards: list[torch.Tensor], shape: ModelShape) -> torch.Tensor:
    """Inverse of split_tp."""
    kind = tp_kind(name)
    if len(shards) == 1 or kind == "replicated":
        return shards[0]
    if kind == "fc1":
        halves = [s.chunk(2, dim=0) for s in shards]
        return torch.cat([torch.cat([h[0] for h in halves]), torch.cat([h[1] for h in halves])])
    return torch.cat(shards, dim=1 if kind == "row" else 0)


def _chunks(t: torch.Tensor, tp: int, dim: int, name: str) -> list[torch.Tensor]:
    if t.shape[dim] % tp:
        raise InvalidInputError(f"{name}: dimension {dim} of size {t.shape[dim]} is not divisible by TP {tp}")
    return [c.contiguous() for c in t.chunk(tp, dim=dim)]


def split_state_dict(state: Mapping[str, torch.Tensor], tp: int, shape: ModelShape) -> list[dict[str, torch.Tensor]]:
    shards: list[dict[str, torch.Tensor]] = [{} for _ in range(tp)]
    for name, t in state.items():
        for r, piece in enumerate(split_tp(name, t, tp, shape)):
            shards[r][name] = piece
    return shards


def merge_state_dicts(shards: list[Mapping[str, torch.Tensor]], shape: ModelShape) -> dict[str, torch.Tensor]:
    return {name: merge_tp(name, [s[name] for s in shards], shape) for name in shards[0] if not name.endswith("_extra_state")}
