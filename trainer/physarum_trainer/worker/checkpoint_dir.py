"""Atomic checkpoint directories: every rank writes into `<dir>.partial-<id>`, rank 0 adds the
manifest last (checkpoint.json: step, cursor, the files and their sizes), fsyncs, and renames the
whole directory into place. A save killed at any point leaves at most a `.partial-*` directory
(or the previous good checkpoint), never a `<dir>` that loads: `read_manifest` checks every file."""
from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from ..errors import CheckpointError

MANIFEST = "checkpoint.json"
FORMAT = "physarum.trainer-checkpoint"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def begin(target: Path) -> Path:
    target = target.expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{uuid.uuid4().hex[:8]}")
    partial.mkdir()
    return partial


def finish(partial: Path, target: Path, meta: dict[str, Any]) -> Path:
    target = target.expanduser().resolve()
    files = {p.name: p.stat().st_size for p in sorted(partial.iterdir()) if p.is_file()}
    manifest = {"format": FORMAT, "version": 1, **meta, "files": files}
    with open(partial / MANIFEST, "w") as f:
        json.dump(manifest, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(partial)
    old = None
    if target.exists():
        old = target.with_name(f"{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(target, old)  # a crash between these two renames leaves the old one under .old-*
    os.rename(partial, target)
    _fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def abandon(partial: Path) -> None:
    shutil.rmtree(partial, ignore_errors=True)


def read_manifest(directory: Path) -> dict[str, Any]:
    directory = directory.expanduser()
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError as error:
        raise CheckpointError(f"{str(directory)!r} is not a complete checkpoint (no {MANIFEST}; a save may have been interrupted)") from error
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{str(path)!r} cannot be read: {error}") from error
    if manifest.get("format") != FORMAT:
        raise CheckpointError(f"{str(path)!r} is not a physarum trainer checkpoint")
    for name, size in manifest.get("files", {}).items():
        file = directory / name
        if not file.is_file() or file.stat().st_size != size:
            raise CheckpointError(f"checkpoint {str(directory)!r}: {name} is missing or has the wrong size")
    return manifest
