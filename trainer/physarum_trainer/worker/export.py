"""Weights out of the worker: a GGUF for the embedded engine (llama.cpp) or an HF safetensors
directory for SGLang's update_weights_from_disk. Both are written under a new path per version
(engines memory-map what they loaded) and appear atomically (temp name, then rename)."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Mapping

from ..errors import InvalidInputError, TrainerError
from ..gguf_export import export_gguf

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "generation_config.json")


def _tokenizer(tokenizer_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    tokenizer_json = json.loads((tokenizer_dir / "tokenizer.json").read_text())
    cfg = tokenizer_dir / "tokenizer_config.json"
    return tokenizer_json, json.loads(cfg.read_text()) if cfg.is_file() else {}


def export_weights(fmt: str, out_dir: Path, version: int, state: Mapping[str, Any], config: dict[str, Any], tokenizer_dir: Path | None) -> dict[str, Any]:
    started = time.perf_counter()
    out_dir = out_dir.expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    if tokenizer_dir is None or not (tokenizer_dir / "tokenizer.json").is_file():
        raise TrainerError(f"no tokenizer.json next to the model ({tokenizer_dir}); exports carry the tokenizer")
    if fmt == "gguf":
        path = write_gguf(out_dir, version, state, config, tokenizer_dir)
        size = path.stat().st_size
    else:
        path = write_hf(out_dir, version, state, config, tokenizer_dir)
        size = sum(p.stat().st_size for p in path.iterdir())
    return {"path": str(path), "format": fmt, "bytes": size, "seconds": time.perf_counter() - started}


def write_gguf(out_dir: Path, version: int, state: Mapping[str, Any], config: dict[str, Any], tokenizer_dir: Path) -> Path:
    if config.get("model_type") != "qwen3":
        raise InvalidInputError(f"export_weights format 'gguf' supports qwen3 models (the embedded engine's architecture), not {config.get('model_type')!r}; use 'hf'")
    out = out_dir / f"weights-{version}.gguf"
    if out.exists():
        raise InvalidInputError(f"{out} exists; export each version under a new number (the engine memory-maps loaded GGUFs)")
    tokenizer_json, tokenizer_config = _tokenizer(tokenizer_dir)
    return export_gguf(config, state, tokenizer_json, tokenizer_config, out, name=f"physarum-{version}")


def write_hf(out_dir: Path, version: int, state: Mapping[str, Any], config: dict[str, Any], tokenizer_dir: Path) -> Path:
    from safetensors.torch import save_file

    out = out_dir / f"weights-{version}"
    if out.exists():
        raise InvalidInputError(f"{out} exists; export each version under a new number (engines may be reading it)")
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_file(dict(state), str(tmp / "model.safetensors"), metadata={"format": "pt"})
    (tmp / "config.json").write_text(json.dumps(config, indent=1))
    for name in TOKENIZER_FILES:
        if (tokenizer_dir / name).is_file():
            shutil.copyfile(tokenizer_dir / name, tmp / name)
    for p in tmp.iterdir():
        with open(p, "rb") as f:
            os.fsync(f.fileno())
    os.rename(tmp, out)
    return out
