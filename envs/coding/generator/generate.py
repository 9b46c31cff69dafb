"""Generates envs/coding's SWE-bench-style tasks by injecting bugs into the repos under envs/coding/repos.

    .venv/bin/python envs/coding/generator/generate.py [--seed 7] [--per-repo 12]
        [--repos intervals,ledger] [--out envs/coding/data/tasks.jsonl]

For each repo: find every candidate mutation (mutations.py), shuffle each kind's list with the seed,
then take kinds round-robin; a mutation becomes a task only when its tests still collect and run,
at least one test fails and no more than --max-fail-fraction of them do. Deterministic for a seed.
Writes the tasks (one instance per line, the contract's fields only) and, beside them,
<out>.mutations.jsonl (instance_id, kind, file, line, function) for reports.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gitdiff import instance_diffs  # noqa: E402
from mutations import KINDS, Mutation, find_mutations  # noqa: E402
from runner import read_tree, run_tests  # noqa: E402
from statement import problem_statement  # noqa: E402

ROOT = HERE.parents[2]
FIELDS = (
    "instance_id", "repo", "base_commit", "patch", "test_patch", "problem_statement",
    "FAIL_TO_PASS", "PASS_TO_PASS", "environment_setup_commit", "version",
)


def split_tree(files: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(fixed tree: everything but tests/, the tests/ files)."""
    tests = {p: d for p, d in files.items() if p.startswith("tests/")}
    return {p: d for p, d in files.items() if p not in tests}, tests


def candidates(fixed: dict[str, bytes]) -> list[Mutation]:
    found = []
    for path, data in sorted(fixed.items()):
        if path.endswith(".py") and not path.endswith("__init__.py"):
            found += find_mutations(path, data)
    return found


def round_robin(found: list[Mutation], rng: random.Random) -> list[Mutation]:
    by_kind = {kind: [m for m in found if m.kind == kind] for kind in KINDS}
    for kind in KINDS:
        rng.shuffle(by_kind[kind])
    order = []
    while any(by_kind.values()):
        for kind in KINDS:
            if by_kind[kind]:
                order.append(by_kind[kind].pop())
    return order


def patch_lines(patch: str) -> list[str]:
    return [line[1:].strip() for line in patch.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]


def leaks(statement: str, patch: str) -> bool:
    """Whether the statement quotes a changed line of the patch (long enough to be telling)."""
    return any(len(line) >= 8 and line in statement for line in patch_lines(patch))


def generate_repo(repo: str, seed: int, per_repo: int, max_fail_fraction: float, python: str, log) -> list[tuple[dict, dict]]:
    files = read_tree(ROOT / "envs/coding/repos" / repo)
    fixed, tests = split_tree(files)
    clean = run_tests(files, python)
    if clean.status != "ok" or clean.failing() or not clean.tests:
        raise SystemExit(f"repo {repo}: the clean tests must all pass (status {clean.status}, failing {clean.failing()})")
    pkg = next(p.split("/")[0] for p in sorted(fixed) if p.endswith("/__init__.py"))
    rng = random.Random(f"{seed}:{repo}")
    kept: list[tuple[dict, dict]] = []
    used_lines: set[tuple[str, int]] = set()
    seen_failing: Counter = Counter()
    for mutation in round_robin(candidates(fixed), rng):
        if len(kept) >= per_repo:
            break
        if (mutation.path, mutation.line) in used_lines:
            continue
        base = {**fixed, mutation.path: mutation.apply(fixed[mutation.path])}
        result = run_tests({**base, **tests}, python)
        failing = result.failing()
        reason = None
        if result.status != "ok":
            reason = result.status
        elif not failing:
            reason = "no test fails"
        elif len(failing) > max_fail_fraction * len(result.tests):
            reason = f"{len(failing)}/{len(result.tests)} tests fail"
        elif seen_failing[tuple(failing)] >= 2:
            reason = "same failing tests as two kept tasks"
        if reason:
            log(f"  skip {mutation.kind} {mutation.path}:{mutation.line}: {reason}")
            continue
        base_commit, patch, test_patch = instance_diffs(base, fixed, tests)
        statement = problem_statement(pkg, failing, result.tests, tests, rng)
        if leaks(statement, patch):
            log(f"  skip {mutation.kind} {mutation.path}:{mutation.line}: statement quotes the patch")
            continue
        used_lines.add((mutation.path, mutation.line))
        seen_failing[tuple(failing)] += 1
        instance_id = f"physarum__{repo}-{len(kept) + 1:04d}"
        instance = {
            "instance_id": instance_id,
            "repo": f"physarum/{repo}",
            "base_commit": base_commit,
            "patch": patch,
            "test_patch": test_patch,
            "problem_statement": statement,
            "FAIL_TO_PASS": failing,
            "PASS_TO_PASS": result.passing(),
            "environment_setup_commit": base_commit,
            "version": "1.0",
        }
        meta = {"instance_id": instance_id, "kind": mutation.kind, "file": mutation.path, "line": mutation.line, "function": mutation.function}
        kept.append(({k: instance[k] for k in FIELDS}, meta))
        log(f"  keep {instance_id} {mutation.kind} {mutation.path}:{mutation.line} fails {len(failing)}")
    return kept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-repo", type=int, default=12)
    parser.add_argument("--max-fail-fraction", type=float, default=0.5)
    parser.add_argument("--repos", default="", help="comma-separated repo names (default: all under envs/coding/repos)")
    parser.add_argument("--out", default=str(ROOT / "envs/coding/data/tasks.jsonl"))
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs the repos' tests")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    repos = [r for r in args.repos.split(",") if r] or sorted(p.name for p in (ROOT / "envs/coding/repos").iterdir() if p.is_dir())
    log = (lambda _msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    rows = []
    for repo in repos:
        log(f"{repo}:")
        rows += generate_repo(repo, args.seed, args.per_repo, args.max_fail_fraction, args.python, log)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(instance) + "\n" for instance, _ in rows))
    meta_path = out.with_name(out.stem + ".mutations.jsonl")
    meta_path.write_text("".join(json.dumps(meta) + "\n" for _, meta in rows))
    by_repo = Counter(i["repo"] for i, _ in rows)
    by_kind = Counter(m["kind"] for _, m in rows)
    print(f"wrote {len(rows)} tasks to {out}; per repo {dict(sorted(by_repo.items()))}; per kind {dict(sorted(by_kind.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
