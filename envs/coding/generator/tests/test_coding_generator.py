"""The generator is deterministic: a small run with the committed seed reproduces the committed
tasks' prefix for that repo, twice in a row."""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from generate import ROOT, generate_repo, main  # noqa: E402

DATA = ROOT / "envs/coding/data/tasks.jsonl"
SEED = 7  # the seed envs/coding/data/tasks.jsonl was generated with (docs/coding-dataset.md)


def test_small_run_reproduces_committed_tasks():
    committed = [json.loads(line) for line in DATA.read_text().splitlines()]
    expected = [t for t in committed if t["repo"] == "physarum/semver"][:2]
    first = [instance for instance, _ in generate_repo("semver", SEED, 2, 0.5, sys.executable, lambda _m: None)]
    assert first == expected


def test_cli_writes_the_same_bytes_twice(tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name / "tasks.jsonl"
        assert main(["--seed", "3", "--per-repo", "1", "--repos", "unitconv", "--out", str(out), "--quiet"]) == 0
        outputs.append((out.read_bytes(), out.with_name("tasks.mutations.jsonl").read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0].count(b"\n") == 1
