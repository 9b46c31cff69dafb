"""Problem statements: a user's bug report built from what the failing tests observed.

For each failing test it shows a reproduction (the test's setup lines and imports) and the symptom:
what a call returned against what was expected, what it raised, or that it did not raise. It never
names the buggy line or the fix; the generator also rejects a statement that contains a line of the patch.
"""
from __future__ import annotations

import ast
import random
import textwrap

MAX_TESTS_SHOWN = 3

_OPENINGS = [
    "I think I found a bug in `{pkg}`.",
    "Something is wrong in `{pkg}`.",
    "`{pkg}` gives me wrong results.",
    "Bug report for `{pkg}`.",
    "I ran into a problem with `{pkg}`.",
]
_CLOSINGS = [
    "",
    "Could you take a look?",
    "This used to work as documented.",
    "Other parts of the package seem fine.",
]


def _find_test(tree: ast.Module, nodeid: str) -> ast.FunctionDef | None:
    names = nodeid.split("::")[1:]
    scope = tree.body
    found = None
    for name in names:
        name = name.split("[", 1)[0]
        found = next((n for n in scope if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name), None)
        if found is None:
            return None
        scope = found.body
    return found if isinstance(found, ast.FunctionDef) else None


def _innermost_statement(body: list[ast.stmt], line: int) -> tuple[ast.stmt | None, list[ast.stmt], ast.With | None]:
    """The statement covering `line`, the statements before it, and a `with pytest.raises` around it."""
    before: list[ast.stmt] = []
    for stmt in body:
        if stmt.lineno <= line <= stmt.end_lineno:
            if isinstance(stmt, ast.With) and any(_is_raises(i.context_expr) for i in stmt.items):
                return stmt.body[-1] if stmt.body else None, before, stmt
            return stmt, before, None
        before.append(stmt)
    return None, before, None


def _is_raises(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and ast.unparse(expr.func) in ("pytest.raises", "raises")


def _symptom(stmt: ast.stmt, raises: ast.With | None, failure: dict, source: str) -> str:
    seg = lambda node: ast.get_source_segment(source, node)  # noqa: E731
    exc_type, message = failure.get("exc_type", ""), failure.get("message", "")
    if raises is not None and message.startswith("DID NOT RAISE"):
        expected = seg(raises.items[0].context_expr.args[0]) if raises.items[0].context_expr.args else "an error"
        return f"`{seg(stmt).strip()}` should raise `{expected.removeprefix('pytest.')}`, but it does not raise anything."
    if isinstance(stmt, ast.Assert) and exc_type == "AssertionError":
        test = stmt.test
        compare = failure.get("compare")
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and compare:
            left, right = seg(test.left), seg(test.comparators[0])
            op = compare["op"]
            if op in ("in", "not in"):
                got, want = ("False", "True") if op == "in" else ("True", "False")
                return f"`{left} in {right}` gives `{got}`, but I expected `{want}`."
            if op in ("==", "is") and compare["left"] == compare["right"]:
                return f"`{left}` gives `{compare['left']}`, yet `{left} {op} {right}` is False; I expected them to be equal."
            if op in ("==", "is"):
                return f"`{left}` gives `{compare['left']}`, but I expected `{compare['right']}`."
            if op in ("!=", "is not"):
                return f"`{left}` gives `{compare['left']}`, which should not equal `{right}`."
            return f"`{left} {op} {right}` is False, but it should be True (`{left}` is `{compare['left']}`, `{right}` is `{compare['right']}`)."
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return f"`{seg(test.operand)}` is true here, but it should be false."
        if isinstance(test, ast.Compare):
            return f"This check fails: `{seg(test)}`."
        return f"`{seg(test)}` is false here, but it should be true."
    where = _target(stmt, source) if isinstance(stmt, ast.Assert) else seg(stmt).strip()
    shown = f"{exc_type}: {message}" if message else exc_type
    return f"`{where}` raises `{shown}`."


def _target(stmt: ast.Assert, source: str) -> str:
    """The expression an assert checks: the left side of `a == b`, `x in y` for both `in` and `not in`, x of `not x`."""
    test = stmt.test
    seg = lambda node: ast.get_source_segment(source, node)  # noqa: E731
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if isinstance(test.ops[0], (ast.In, ast.NotIn)):
            return f"{seg(test.left)} in {seg(test.comparators[0])}"
        if isinstance(test.ops[0], (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
            return seg(test)
        return seg(test.left)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return seg(test.operand)
    return seg(test)


def _names(nodes) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def _defined(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.ImportFrom):
        return {alias.asname or alias.name for alias in node.names}
    return set()


def _context(tree: ast.Module, used: set[str]) -> list[ast.stmt]:
    """The module-level imports, helpers and constants the reproduction needs (transitively), in file order."""
    candidates = [
        n for n in tree.body
        if (isinstance(n, ast.ImportFrom) and n.module != "__future__")
        or isinstance(n, (ast.ClassDef, ast.Assign))
        or (isinstance(n, ast.FunctionDef) and not n.name.startswith("test"))
    ]
    needed: list[ast.stmt] = []
    frontier = set(used)
    while frontier:
        new = [n for n in candidates if n not in needed and _defined(n) & frontier]
        needed += new
        frontier = _names(new) - set().union(*(_defined(n) for n in needed)) if new else set()
    return [n for n in candidates if n in needed]


def _reproduction(tree: ast.Module, before: list[ast.stmt], stmt: ast.stmt, source: str) -> str:
    body = [textwrap.dedent(" " * node.col_offset + ast.get_source_segment(source, node)) for node in before]
    body.append(_target(stmt, source) if isinstance(stmt, ast.Assert) else textwrap.dedent(" " * stmt.col_offset + ast.get_source_segment(source, stmt)))
    used = _names([*before, stmt])
    header = []
    for node in _context(tree, used):
        text = ast.get_source_segment(source, node)
        header.append(text if isinstance(node, ast.ImportFrom) else "\n" + text + "\n")
    return ("\n".join(header).strip() + "\n\n" + "\n".join(body)).strip()


def describe_failure(nodeid: str, failure: dict, test_files: dict[str, bytes]) -> tuple[str, str] | None:
    """(reproduction code, symptom sentence) for one failing test, or None when it cannot be located."""
    path = nodeid.split("::", 1)[0]
    source = test_files[path].decode()
    tree = ast.parse(source)
    func = _find_test(tree, nodeid)
    line = failure.get("line")
    if func is None or line is None:
        return None
    stmt, before, raises = _innermost_statement(func.body, line)
    if stmt is None:
        return None
    return _reproduction(tree, before, stmt, source), _symptom(stmt, raises, failure, source)


def problem_statement(pkg: str, failing: list[str], failures: dict[str, dict], test_files: dict[str, bytes], rng: random.Random) -> str:
    shown = []
    for nodeid in failing:
        described = describe_failure(nodeid, failures[nodeid], test_files)
        if described and described not in shown:
            shown.append(described)
        if len(shown) == MAX_TESTS_SHOWN:
            break
    if not shown:
        raise ValueError(f"no failing test of {failing} could be described")
    parts = [rng.choice(_OPENINGS).format(pkg=pkg), ""]
    for index, (code, symptom) in enumerate(shown):
        parts.append(f"Example {index + 1}:" if len(shown) > 1 else "To reproduce:")
        parts += ["", "```python", code, "```", "", symptom, ""]
    closing = rng.choice(_CLOSINGS)
    if closing:
        parts.append(closing)
    return "\n".join(parts).strip() + "\n"
