"""Tiny-model init: seeded, validated before any heavy import, and with a byte tokenizer whose
ids are the UTF-8 bytes (HF tokenizers) plus three ChatML specials."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer.model_init import init_model, main  # noqa: E402
from physarum_trainer.tokenizer_files import byte_tokenizer_json, bytes_to_unicode, vocab_size_of  # noqa: E402


def test_byte_tokenizer_ids_are_utf8_bytes_and_specials_are_single_ids():
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(json.dumps(byte_tokenizer_json()))
    text = "héllo 😀\n\t<|im_start|>x<|im_end|>"
    ids = tok.encode(text, add_special_tokens=False).ids
    head, _, rest = text.partition("<|im_start|>")
    assert ids[: len(head.encode())] == list(head.encode())
    assert 257 in ids and 258 in ids
    assert tok.decode(ids, skip_special_tokens=False) == text
    assert vocab_size_of(byte_tokenizer_json()) == 259
    assert len(set(bytes_to_unicode().values())) == 256


def test_same_seed_same_weights_other_seed_other_weights(tmp_path):
    for name, seed in [("a", 3), ("b", 3), ("c", 4)]:
        init_model("qwen3", layers=1, hidden=16, tokenizer="bytes", seed=seed, out=tmp_path / name)
    read = lambda name: (tmp_path / name / "model.safetensors").read_bytes()  # noqa: E731
    assert read("a") == read("b")
    assert read("a") != read("c")
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config["model_type"] == "qwen3" and config["vocab_size"] == 259 and config["tie_word_embeddings"] is True
    chat = json.loads((tmp_path / "a" / "tokenizer_config.json").read_text())["chat_template"]
    assert "<|im_start|>" in chat and "add_generation_prompt" in chat


def test_cli_reports_bad_shapes_in_one_line(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "x"), "--hidden", "30", "--heads", "4"]) == 1
    assert capsys.readouterr().err.strip() == "physarum model init: --hidden 30 must divide by heads 4, and heads by kv heads 2"
    assert main(["--out", str(tmp_path / "x"), "--arch", "llama"]) == 1
    assert "unsupported --arch 'llama'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    with pytest.raises(SystemExit):
        main(["--tokenizer", "bpe", "--out", str(tmp_path / "y")])
