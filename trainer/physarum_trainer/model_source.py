"""Where a backend's weights come from: an HF model directory (checked), or a tiny model made on the
spot by model_init. Shared by the torch_hf and megatron backends."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .errors import InvalidInputError, ModelNotFoundError


def model_directory(spec: dict[str, Any]) -> tuple[Path, Any]:
    """(HF dir, temp handle to keep alive): ``{path}`` is checked; ``{tiny}`` is written by model_init."""
    if "path" in spec:
        root = Path(spec["path"]).expanduser()
        if not (root / "config.json").is_file():
            raise ModelNotFoundError(f"model.path {str(root)!r} is not an HF model directory (no config.json there)")
        return root, None
    from .model_init import init_model

    tiny = spec["tiny"]
    tmp = tempfile.TemporaryDirectory(prefix="physarum-tiny-")
    out = Path(tmp.name) / "model"
    try:
        init_model("qwen3", tiny["layers"], tiny["hidden"], tiny.get("vocab", "bytes"), tiny.get("seed", 0), out, heads=tiny.get("heads"))
    except ValueError as error:
        raise InvalidInputError(f"model.tiny: {error}") from error
    return out, tmp
