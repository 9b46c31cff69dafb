"""The committed dataset holds its contract: format, spread, statements, and (on a seeded sample)
base + test_patch fails exactly FAIL_TO_PASS, base + patch + test_patch passes everything,
base_commit is what the recipe gives."""
import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from generate import FIELDS, ROOT, leaks, split_tree  # noqa: E402
from gitdiff import IDENTITY, _git  # noqa: E402
from mutations import KINDS  # noqa: E402
from runner import read_tree, run_tests, write_tree  # noqa: E402

DATA = ROOT / "envs/coding/data/tasks.jsonl"
REPOS = ROOT / "envs/coding/repos"
SAMPLE = 20

TASKS = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
META = {m["instance_id"]: m for m in map(json.loads, DATA.with_name("tasks.mutations.jsonl").read_text().splitlines())}
REPO_NAMES = sorted(p.name for p in REPOS.iterdir() if p.is_dir())


def test_at_least_100_tasks_with_exact_fields():
    assert len(TASKS) >= 100
    for task in TASKS:
        assert tuple(task) == FIELDS
        assert task["environment_setup_commit"] == task["base_commit"]
        assert task["version"] == "1.0"
        assert isinstance(task["FAIL_TO_PASS"], list) and task["FAIL_TO_PASS"]
        assert not set(task["FAIL_TO_PASS"]) & set(task["PASS_TO_PASS"])


def test_ids_unique_and_spread_over_repos_and_kinds():
    assert len({t["instance_id"] for t in TASKS}) == len(TASKS)
    per_repo = Counter(t["repo"] for t in TASKS)
    assert set(per_repo) == {f"physarum/{name}" for name in REPO_NAMES}
    assert min(per_repo.values()) >= 8
    per_kind = Counter(META[t["instance_id"]]["kind"] for t in TASKS)
    assert set(per_kind) == set(KINDS)
    assert min(per_kind.values()) >= 5


@pytest.mark.parametrize("name", REPO_NAMES)
def test_clean_repo_passes_its_tests(name):
    files = read_tree(REPOS / name)
    assert not any(p.endswith("conftest.py") or p in ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini") for p in files)
    result = run_tests(files, sys.executable)
    assert result.status == "ok" and result.tests and not result.failing()


def test_statements_never_quote_the_patch():
    for task in TASKS:
        assert not leaks(task["problem_statement"], task["patch"]), task["instance_id"]
        for line in task["patch"].splitlines():
            if line.startswith("+") and not line.startswith("+++") and len(line[1:].strip()) >= 8:
                assert line[1:].strip() not in task["problem_statement"]


def test_patch_touches_one_source_file_and_test_patch_only_tests():
    for task in TASKS:
        touched = {line.split()[2][2:] for line in task["patch"].splitlines() if line.startswith("diff --git")}
        assert len(touched) == 1 and not next(iter(touched)).startswith("tests/")
        created = {line.split()[2][2:] for line in task["test_patch"].splitlines() if line.startswith("diff --git")}
        assert created and all(p.startswith("tests/") for p in created)


def _git_apply(workdir, patch, *flags):
    subprocess.run(["git", "apply", *flags, "-"], cwd=workdir, input=patch.encode(), check=True, capture_output=True)


def _base_checkout(task, workdir):
    """The fixed tree with the patch reversed, committed by the contract's recipe; returns HEAD."""
    fixed, _ = split_tree(read_tree(REPOS / task["repo"].split("/", 1)[1]))
    write_tree(workdir, fixed)
    _git_apply(workdir, task["patch"], "-R")
    _git(workdir, "init", "-q", "-b", "main")
    _git(workdir, "add", "-A")
    _git(workdir, "commit", "-q", "-m", "base", extra_env=IDENTITY)
    return _git(workdir, "rev-parse", "HEAD").strip()


SAMPLED = random.Random(13).sample(TASKS, min(SAMPLE, len(TASKS)))


@pytest.mark.parametrize("task", SAMPLED, ids=[t["instance_id"] for t in SAMPLED])
def test_sampled_task_fails_and_resolves_as_recorded(task):
    workdir = Path(tempfile.mkdtemp(prefix="physarum-task-"))
    try:
        assert _base_checkout(task, workdir) == task["base_commit"]
        shutil.rmtree(workdir / ".git")
        _git_apply(workdir, task["test_patch"])
        before = run_tests(read_tree(workdir), sys.executable)
        assert before.status == "ok"
        assert before.failing() == sorted(task["FAIL_TO_PASS"])
        assert before.passing() == sorted(task["PASS_TO_PASS"])
        _git_apply(workdir, task["patch"])
        after = run_tests(read_tree(workdir), sys.executable)
        assert after.status == "ok" and not after.failing()
        assert sorted(after.tests) == sorted(task["FAIL_TO_PASS"] + task["PASS_TO_PASS"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
