"""Megatron <-> HF conversion on CPU without megatron-core: names, shapes and values round trip for
Qwen2, Qwen3 and Llama (real transformers models from small configs), TP shards split and merge back,
and the per-group qkv interleave on a hand-computed example."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer.errors import InvalidInputError  # noqa: E402
from physarum_trainer.megatron.convert import (  # noqa: E402
    ModelShape,
    hf_to_mcore,
    mcore_shapes,
    mcore_to_hf,
    merge_qkv,
    merge_state_dicts,
    pad_vocab_size,
    split_state_dict,
)

ARCHS = [("qwen2", False), ("qwen3", False), ("llama", False), ("qwen3", True), ("llama", True)]


def hf_model(family: str, tied: bool):
    import transformers

    cls = {"qwen2": transformers.Qwen2Config, "qwen3": transformers.Qwen3Config, "llama": transformers.LlamaConfig}[family]
    config = cls(vocab_size=100, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=8,
                 num_key_value_heads=4, head_dim=8, tie_word_embeddings=tied, max_position_embeddings=64)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if tied:
        state.pop("lm_head.weight", None)  # safetensors files of tied models do not hold it
    return config.to_dict(), state


@pytest.mark.parametrize("family,tied", ARCHS)
def test_hf_to_mcore_to_hf_is_exact_with_the_local_spec_names_and_shapes(family, tied):
    config, hf = hf_model(family, tied)
    shape = ModelShape.from_hf_config(config, padded_vocab_size=pad_vocab_size(100, 64, 2))
    assert shape.qkv_bias == (family == "qwen2") and shape.qk_layernorm == (family == "qwen3")
    mcore = hf_to_mcore(hf, shape)
    assert {k: tuple(v.shape) for k, v in mcore.items()} == mcore_shapes(shape)
    assert mcore["embedding.word_embeddings.weight"].shape[0] == 128
    assert ("output_layer.weight" in mcore) == (not tied)
    assert ("decoder.layers.1.self_attention.linear_qkv.bias" in mcore) == (family == "qwen2")
    assert mcore["decoder.layers.0.self_attention.linear_qkv.weight"].shape == ((8 + 2 * 4) * 8, 32)
    mcore["decoder.layers.0.self_attention._extra_state"] = torch.tensor([])  # megatron adds these; skipped
    back = mcore_to_hf(mcore, shape)
    assert sorted(back) == sorted(hf)
    for name, t in hf.items():
        assert torch.equal(back[name], t), name


@pytest.mark.parametrize("tp", [2, 4])
@pytest.mark.parametrize("family,tied", ARCHS)
def test_tp_split_then_merge_is_exact(family, tied, tp):
    config, hf = hf_model(family, tied)
    shape = ModelShape.from_hf_config(config, padded_vocab_size=pad_vocab_size(100, 32, tp))
    full = hf_to_mcore(hf, shape)
    shards = split_state_dict(full, tp, shape)
    assert len(shards) == tp
    fc1 = shards[0]["decoder.layers.0.mlp.linear_fc1.weight"]
    assert fc1.shape == (2 * 48 // tp, 32)
    # rank 0's fc1 is [gate rows of rank 0; up rows of rank 0], as Megatron's column-parallel GLU holds it
    gate, up = hf["model.layers.0.mlp.gate_proj.weight"], hf["model.layers.0.mlp.up_proj.weight"]
    assert torch.equal(fc1, torch.cat([gate[: 48 // tp], up[: 48 // tp]]))
    assert shards[1]["decoder.layers.0.self_attention.linear_proj.weight"].shape == (32, 64 // tp)
    assert shards[0]["embedding.word_embeddings.weight"].shape[0] == shape.mcore_vocab // tp
    # each rank's qkv holds whole query groups: its q heads with their k and v
    qkv0 = shards[0]["decoder.layers.0.self_attention.linear_qkv.weight"]
    assert qkv0.shape == ((8 + 2 * 4) * 8 // tp, 32)
    assert torch.equal(qkv0[:16], hf["model.layers.0.self_attn.q_proj.weight"][:16])
    assert torch.equal(qkv0[16:24], hf["model.layers.0.self_attn.k_proj.weight"][:8])
    merged = merge_state_dicts(shards, shape)
    assert sorted(merged) == sorted(full)
    for name, t in full.items():
        assert torch.equal(merged[name], t), name
    back = mcore_to_hf(merged, shape)
    assert all(torch.equal(back[n], t) for n, t in hf.items())


def test_qkv_layout_on_a_hand_computed_example():
    """4 query heads in 2 groups, head_dim 1: rows are [q0 q1 k0 v0 | q2 q3 k1 v1]."""
    shape = ModelShape("llama", 1, 1, 4, 2, 1, 1, 8, True, True, False)
    q = torch.tensor([[10.0], [11.0], [12.0], [13.0]])
    k = torch.tensor([[20.0], [21.0]])
    v = torch.tensor([[30.0], [31.0]])
    assert merge_qkv(q, k, v, shape).flatten().tolist() == [10, 11, 20, 30, 12, 13, 21, 31]
    assert merge_qkv(q[:, 0], k[:, 0], v[:, 0], shape).tolist() == [10, 11, 20, 30, 12, 13, 21, 31]  # biases too
    shape2 = ModelShape("llama", 1, 1, 2, 1, 2, 1, 8, True, False, False)  # head_dim 2, one group
    q2 = torch.arange(4.0)[:, None]
    k2, v2 = torch.tensor([[4.0], [5.0]]), torch.tensor([[6.0], [7.0]])
    assert merge_qkv(q2, k2, v2, shape2).flatten().tolist() == [0, 1, 2, 3, 4, 5, 6, 7]


def test_te_spec_norm_names_are_read():
    config, hf = hf_model("qwen3", False)
    shape = ModelShape.from_hf_config(config)
    mcore = hf_to_mcore(hf, shape)
    for i in range(2):
        mcore[f"decoder.layers.{i}.self_attention.linear_qkv.layer_norm_weight"] = mcore.pop(f"decoder.layers.{i}.input_layernorm.weight")
        mcore[f"decoder.layers.{i}.mlp.linear_fc1.layer_norm_weight"] = mcore.pop(f"decoder.layers.{i}.pre_mlp_layernorm.weight")
    back = mcore_to_hf(mcore, shape)
    assert all(torch.equal(back[n], t) for n, t in hf.items())


def test_bad_inputs_are_named():
    config, hf = hf_model("qwen2", False)
    shape = ModelShape.from_hf_config(config)
    with pytest.raises(InvalidInputError, match="model.layers.1.self_attn.q_proj.bias"):
        hf_to_mcore({k: v for k, v in hf.items() if k != "model.layers.1.self_attn.q_proj.bias"}, shape)
    with pytest.raises(InvalidInputError, match="extra.weight"):
        hf_to_mcore({**hf, "extra.weight": torch.zeros(1)}, shape)
    with pytest.raises(InvalidInputError, match="decoder.layers.0.mystery"):
        mcore_to_hf({"decoder.layers.0.mystery.weight": torch.zeros(1)}, shape)
    with pytest.raises(InvalidInputError, match="gpt2"):
        ModelShape.from_hf_config({"model_type": "gpt2"})
    with pytest.raises(InvalidInputError, match="not divisible by TP 8"):
        split_state_dict(hf_to_mcore(hf, shape), 8, shape)
