"""Runs a repository's pytest suite in a directory and returns per-test outcomes (via physarum_probe)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SKIP_NAMES = {"__pycache__", ".pytest_cache"}


@dataclass
class RunResult:
    status: str  # "ok" | "timeout" | "collection_error" | "crashed"
    tests: dict[str, dict] = field(default_factory=dict)

    def failing(self) -> list[str]:
        return sorted(n for n, t in self.tests.items() if t["outcome"] != "passed")

    def passing(self) -> list[str]:
        return sorted(n for n, t in self.tests.items() if t["outcome"] == "passed")


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under root (relative posix path -> bytes), without caches."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_NAMES for part in rel.parts) or path.suffix == ".pyc" or not path.is_file():
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def run_tests(files: dict[str, bytes], python: str, timeout: float = 20.0) -> RunResult:
    """Writes files to a fresh temp dir and runs `python -m pytest` there."""
    workdir = Path(tempfile.mkdtemp(prefix="physarum-coding-"))
    try:
        write_tree(workdir, files)
        probe_out = workdir / ".probe.json"
        env = {
            **os.environ,
            "PYTHONPATH": str(HERE),
            "PHYSARUM_PROBE_OUT": str(probe_out),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
        }
        command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "physarum_probe", "tests"]
        try:
            subprocess.run(command, cwd=workdir, env=env, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return RunResult("timeout")
        if not probe_out.exists():
            return RunResult("crashed")
        report = json.loads(probe_out.read_text())
        if report["collection_errors"]:
            return RunResult("collection_error", report["tests"])
        return RunResult("ok", report["tests"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
