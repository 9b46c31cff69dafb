"""Git-computed pieces of an instance: base_commit (by the contract's recipe), patch, test_patch."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from runner import write_tree

IDENTITY = {
    "GIT_AUTHOR_NAME": "physarum",
    "GIT_AUTHOR_EMAIL": "physarum@localhost",
    "GIT_COMMITTER_NAME": "physarum",
    "GIT_COMMITTER_EMAIL": "physarum@localhost",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+0000",
}


def _git(workdir: Path, *args: str, extra_env: dict[str, str] | None = None) -> str:
    # No user or system config: a developer's diff.noprefix or commit.gpgsign must not change the output.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "LC_ALL": "C",
        **(extra_env or {}),
    }
    done = subprocess.run(["git", *args], cwd=workdir, env=env, capture_output=True, check=True)
    return done.stdout.decode()


def instance_diffs(base: dict[str, bytes], fixed: dict[str, bytes], tests: dict[str, bytes]) -> tuple[str, str, str]:
    """(base_commit, patch base->fixed, test_patch creating tests on top of base)."""
    workdir = Path(tempfile.mkdtemp(prefix="physarum-git-"))
    repo = workdir / "repo"
    repo.mkdir()
    try:
        write_tree(repo, base)
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "base", extra_env=IDENTITY)
        base_commit = _git(repo, "rev-parse", "HEAD").strip()
        write_tree(repo, fixed)
        patch = _git(repo, "diff", "--no-color", "--no-ext-diff", "HEAD")
        _git(repo, "checkout", "-q", "--", ".")
        write_tree(repo, tests)
        _git(repo, "add", "-A")
        test_patch = _git(repo, "diff", "--cached", "--no-color", "--no-ext-diff", "HEAD")
        return base_commit, patch, test_patch
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
