"""The mutation finder: every kind is found, each rewrites only its span, and the result parses."""
import ast
import difflib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mutations import KINDS, find_mutations  # noqa: E402

SOURCE = b'''"""Doc 3."""


def pick(items, low, high):  # keep this comment
    out = []
    for i in range(len(items)):
        if items[i] >= low and items[i] < high:
            out.append(items[i] * 2)
        elif items[i] == 0:
            out.append(1)
        else:
            out.append(0)
    while not out:
        out.append(max(low, high))
    return len(out) - 1


def flag(x):
    return True if x else False


def truth(x):
    if x is None:
        raise ValueError("no x")
    return False
'''


def mutations_of(kind):
    return [m for m in find_mutations("pkg/mod.py", SOURCE) if m.kind == kind]


def changed_lines(before, after):
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_every_kind_is_found():
    found = {m.kind for m in find_mutations("pkg/mod.py", SOURCE)}
    assert found == set(KINDS)


def test_every_mutation_parses_and_differs():
    for mutation in find_mutations("pkg/mod.py", SOURCE):
        mutated = mutation.apply(SOURCE)
        assert mutated != SOURCE
        ast.parse(mutated)


def test_span_rewrite_keeps_comments_and_other_lines():
    for mutation in find_mutations("pkg/mod.py", SOURCE):
        mutated = mutation.apply(SOURCE)
        assert b"# keep this comment" in mutated
        if mutation.kind != "dropped_branch":
            assert len(changed_lines(SOURCE, mutated)) == 2, mutation


def test_comparison_flip_does_not_split_two_char_operators():
    replacements = {(SOURCE[m.start : m.end], m.replacement.encode()) for m in mutations_of("comparison_flip")}
    assert replacements == {(b">=", b">"), (b"<", b"<="), (b"==", b"!="), (b"is", b"is not")}


def test_off_by_one_in_range_bound_and_constants():
    texts = {m.replacement for m in mutations_of("off_by_one")}
    assert "len(items) + 1" in texts
    assert "len(items) - 1" in texts
    assert "2" not in {m.replacement for m in mutations_of("off_by_one") if SOURCE[m.start : m.end] == b"3"}  # docstring untouched


def test_boolean_operator_swap():
    assert [m.replacement for m in mutations_of("boolean_operator")] == ["or"]


def test_negated_condition_adds_or_removes_not():
    replacements = {m.replacement for m in mutations_of("negated_condition")}
    assert "out" in replacements  # `while not out` -> `while out`
    assert "not (items[i] == 0)" in replacements


def test_dropped_branch_variants():
    results = [m.apply(SOURCE).decode() for m in mutations_of("dropped_branch")]
    assert any("elif" not in r and "else:" in r for r in results)  # an elif clause removed
    assert any("else:" not in r and "elif" in r for r in results)  # the else clause removed
    assert any("    pass\n" in r and "raise" not in r for r in results)  # an if without else replaced by pass


def test_swapped_arguments():
    assert "high, low" in {m.replacement for m in mutations_of("swapped_arguments")}


def test_wrong_return():
    replacements = {m.replacement for m in mutations_of("wrong_return")}
    assert replacements >= {"len(out)", "False if x else True", "True"}


def test_arithmetic_operator_and_source_order():
    found = find_mutations("pkg/mod.py", SOURCE)
    assert [m.start for m in found] == sorted(m.start for m in found)
    assert {m.replacement for m in mutations_of("arithmetic_operator")} == {"//", "+"}
