"""Packed (THD) causal attention without Transformer Engine: one SDPA call per sequence.

Megatron's local ``DotProductAttention`` refuses ``packed_seq_params`` ("use TEDotProductAttention"),
so the backend swaps in ``varlen_core_attention()``'s module as the layer spec's core_attention. The
math lives in ``packed_causal_attention`` (pure torch, CPU-testable); flash-attn's varlen kernel is
used instead when it is installed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def packed_causal_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cu_seqlens: list[int], scale: float | None) -> torch.Tensor:
    """q [T, h, d], k/v [T, g, d] (GQA, h a multiple of g) -> [T, h·d]; no token attends across ``cu_seqlens``."""
    outs = []
    for a, b in zip(cu_seqlens[:-1], cu_seqlens[1:]):
        if b == a:
            continue
        qi, ki, vi = (t[a:b].transpose(0, 1).unsqueeze(0) for t in (q, k, v))
        o = F.scaled_dot_product_attention(qi, ki, vi, is_causal=True, scale=scale, enable_gqa=True)
        outs.append(o[0].transpose(0, 1))
    out = torch.cat(outs, 0) if outs else q.new_zeros(0, q.shape[1], q.shape[2])
    return out.reshape(out.shape[0], -1)


def _flash_varlen():
    try:
        from flash_attn import flash_attn_varlen_func

        return flash_attn_varlen_func
    except ImportError:
        return None


def varlen_core_attention():
    """The MegatronModule class for ``spec.submodules.self_attention.submodules.core_attention`` (needs megatron)."""
    from megatron.core.transformer.module import MegatronModule

    flash = _flash_varlen()

    class VarlenCoreAttention(MegatronModule):
        def __init__(self, config, layer_number, attn_mask_type, attention_type, attention_dropout=None,
                     softmax_scale=None, cp_comm_type=None, pg_collection=None, **_):
            super().__init__(config=config)
            self.scale = softmax_scale

        def forward(self, query, key, value, attention_mask, attn_mask_type=None, attention_bias=None, packed_seq_params=None):
            if packed_seq_params is None or packed_seq_params.qkv_format != "thd":
                s, b, h, d = query.shape  # [s, b, h, d] (SBHD): plain causal attention per batch row
                q, k, v = (t.permute(1, 2, 0, 3) for t in (query, key, value))
                o = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self.scale, enable_gqa=True)
                return o.permute(2, 0, 1, 3).reshape(s, b, h * d)
            squeeze = query.dim() == 4  # THD arrives as [T, 1, h, d]
            q, k, v = (t.squeeze(1) if squeeze else t for t in (query, key, value))
            cu = packed_seq_params.cu_seqlens_q
            if flash is not None and q.is_cuda:
                o = flash(q, k, v, cu, cu, packed_seq_params.max_seqlen_q, packed_seq_params.max_seqlen_kv,
                          softmax_scale=self.scale, causal=True)
                o = o.reshape(o.shape[0], -1)
            else:
                o = packed_causal_attention(q, k, v, cu.tolist(), self.scale)
            return o.unsqueeze(1) if squeeze else o

    return VarlenCoreAttention
