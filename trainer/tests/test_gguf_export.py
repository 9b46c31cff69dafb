"""HF Qwen3 -> GGUF export: every key llama.cpp's qwen3 loader reads, tensor names and shapes,
an empty-but-present merges array for the byte vocabulary, and the write-to-a-new-path rule."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gguf import GGUFReader, GGUFValueType  # noqa: E402

from physarum_trainer.gguf_export import export_gguf, export_gguf_from_dir, gguf_tensor_name  # noqa: E402
from physarum_trainer.model_init import init_model  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "bytes"
    init_model("qwen3", layers=2, hidden=32, tokenizer="bytes", seed=5, out=out, context=512)
    return out


def _field(reader, key):
    field = reader.get_field(key)
    assert field is not None, f"missing {key}"
    return field


def _scalar(reader, key):
    field = _field(reader, key)
    value = field.parts[field.data[0]]
    return bytes(value).decode() if field.types[0] == GGUFValueType.STRING else value.tolist()[0]


def test_writes_every_key_the_qwen3_loader_needs(tiny):
    reader = GGUFReader(str(tiny / "model.gguf"))
    config = json.loads((tiny / "config.json").read_text())
    assert _scalar(reader, "general.architecture") == "qwen3"
    expected = {
        "qwen3.context_length": 512,
        "qwen3.embedding_length": 32,
        "qwen3.block_count": 2,
        "qwen3.feed_forward_length": config["intermediate_size"],
        "qwen3.attention.head_count": config["num_attention_heads"],
        "qwen3.attention.head_count_kv": config["num_key_value_heads"],
        "qwen3.attention.key_length": config["head_dim"],
        "qwen3.attention.value_length": config["head_dim"],
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": "qwen2",
        "tokenizer.ggml.eos_token_id": 258,
        "tokenizer.ggml.padding_token_id": 256,
        "tokenizer.ggml.add_bos_token": False,
    }
    for key, value in expected.items():
        assert _scalar(reader, key) == value, key
    assert _scalar(reader, "qwen3.rope.freq_base") == pytest.approx(1e6)
    assert _scalar(reader, "qwen3.attention.layer_norm_rms_epsilon") == pytest.approx(1e-6)
    assert "<|im_start|>" in _scalar(reader, "tokenizer.chat_template")
    tokens = _field(reader, "tokenizer.ggml.tokens")
    assert len(tokens.data) == 259
    types = _field(reader, "tokenizer.ggml.token_type")
    assert [types.parts[i].tolist()[0] for i in types.data[-3:]] == [3, 3, 3]  # CONTROL specials
    merges = _field(reader, "tokenizer.ggml.merges")
    assert len(merges.data) == 0  # present, empty: no merges in a byte vocabulary


def test_tensors_have_llama_cpp_names_and_hf_shapes(tiny):
    reader = GGUFReader(str(tiny / "model.gguf"))
    tensors = {t.name: t for t in reader.tensors}
    config = json.loads((tiny / "config.json").read_text())
    q_out = config["num_attention_heads"] * config["head_dim"]
    assert "output.weight" not in tensors  # tied embeddings: llama.cpp falls back to token_embd
    assert list(tensors["token_embd.weight"].shape) == [32, 259]  # ggml order: (in, out)
    assert list(tensors["blk.1.attn_q.weight"].shape) == [32, q_out]
    assert list(tensors["blk.0.attn_q_norm.weight"].shape) == [config["head_dim"]]
    for name in ["attn_norm", "attn_k", "attn_v", "attn_output", "attn_k_norm", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]:
        assert f"blk.0.{name}.weight" in tensors
    assert "output_norm.weight" in tensors
    from safetensors.numpy import load_file
    state = load_file(str(tiny / "model.safetensors"))
    np.testing.assert_array_equal(np.asarray(tensors["blk.0.ffn_gate.weight"].data), state["model.layers.0.mlp.gate_proj.weight"])


def test_f16_export_halves_matrices_but_keeps_norms_f32(tiny, tmp_path):
    out = export_gguf_from_dir(tiny, tmp_path / "half.gguf", dtype="f16")
    tensors = {t.name: t for t in GGUFReader(str(out)).tensors}
    assert tensors["blk.0.attn_q.weight"].data.dtype == np.float16
    assert tensors["blk.0.attn_norm.weight"].data.dtype == np.float32
    assert not (tmp_path / "half.gguf.partial").exists()


def test_export_from_dir_matches_export_at_init(tiny, tmp_path):
    again = export_gguf_from_dir(tiny, tmp_path / "again.gguf")
    original = {t.name: np.asarray(t.data) for t in GGUFReader(str(tiny / "model.gguf")).tensors}
    for tensor in GGUFReader(str(again)).tensors:
        np.testing.assert_array_equal(np.asarray(tensor.data), original[tensor.name])


def test_rejects_what_it_cannot_convert(tiny, tmp_path):
    config = json.loads((tiny / "config.json").read_text())
    with pytest.raises(ValueError, match="model_type 'qwen3'"):
        export_gguf({**config, "model_type": "llama"}, {}, {}, {}, tmp_path / "x.gguf")
    with pytest.raises(ValueError, match="dtype must be"):
        export_gguf(config, {}, {}, {}, tmp_path / "x.gguf", dtype="q4")
    with pytest.raises(ValueError, match="unexpected tensor 'model.layers.0.mlp.experts.weight'"):
        gguf_tensor_name("model.layers.0.mlp.experts.weight")
    assert gguf_tensor_name("model.layers.11.self_attn.k_norm.weight") == "blk.11.attn_k_norm.weight"
    with pytest.raises(FileNotFoundError):
        export_gguf_from_dir(tmp_path, tmp_path / "y.gguf")


def test_publish_writes_a_new_file_per_version_and_never_overwrites(tiny, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    from physarum_trainer.gguf_export import publish_gguf

    model = AutoModelForCausalLM.from_pretrained(tiny, torch_dtype=torch.float32)
    first = publish_gguf(model, tiny, tmp_path / "published", "1")
    with torch.no_grad():
        model.model.norm.weight.add_(1.0)  # a "train step"
    second = publish_gguf(model, tiny, tmp_path / "published", "2")
    assert first.name == "weights-1.gguf" and second.name == "weights-2.gguf"
    # The live model's config (transformers' own to_dict layout) yields the same metadata.
    reader = GGUFReader(str(first))
    assert _scalar(reader, "qwen3.rope.freq_base") == pytest.approx(1e6)
    assert _scalar(reader, "qwen3.attention.key_length") == json.loads((tiny / "config.json").read_text())["head_dim"]
    norms = [np.asarray({t.name: t for t in GGUFReader(str(p)).tensors}["output_norm.weight"].data) for p in (first, second)]
    np.testing.assert_allclose(norms[1], norms[0] + 1.0, rtol=1e-6)
    with pytest.raises(FileExistsError, match="new path"):
        publish_gguf(model, tiny, tmp_path / "published", "2")
    with pytest.raises(ValueError, match="cannot name a file"):
        publish_gguf(model, tiny, tmp_path / "published", "../x")
