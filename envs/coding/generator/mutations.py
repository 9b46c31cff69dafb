"""Finds bug-injecting mutations in Python source with the ast module.

Each mutation names an exact byte span of the original file and the text that replaces it, so the
buggy file differs from the clean one only there: formatting and comments survive (ast.unparse of
the whole file would rewrite every line).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

KINDS = (
    "comparison_flip",
    "off_by_one",
    "arithmetic_operator",
    "boolean_operator",
    "negated_condition",
    "dropped_branch",
    "swapped_arguments",
    "wrong_return",
)


@dataclass(frozen=True)
class Mutation:
    path: str  # relative to the repository root
    kind: str
    start: int  # byte offsets into the file
    end: int
    replacement: str
    line: int  # 1-based line of the span's start (for reports and de-duplication)
    function: str  # enclosing function's qualified name, "" at module level

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement.encode() + source[self.end :]


_COMPARE_SWAP = {
    ast.Lt: ("<", "<="),
    ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="),
    ast.GtE: (">=", ">"),
    ast.Eq: ("==", "!="),
    ast.NotEq: ("!=", "=="),
    ast.Is: ("is", "is not"),
    ast.IsNot: ("is not", "is"),
    ast.In: ("in", "not in"),
    ast.NotIn: ("not in", "in"),
}
_BINOP_SWAP = {
    ast.Add: ("+", "-"),
    ast.Sub: ("-", "+"),
    ast.Mult: ("*", "//"),
    ast.FloorDiv: ("//", "*"),
    ast.Div: ("/", "//"),
    ast.Mod: ("%", "//"),
}
_BOOL_SWAP = {ast.And: ("and", "or"), ast.Or: ("or", "and")}


class _Source:
    """Byte offsets for (lineno, col_offset) pairs; ast columns are UTF-8 byte offsets."""

    def __init__(self, text: bytes):
        self.text = text
        self.line_starts = [0]
        for index, byte in enumerate(text):
            if byte == 0x0A:
                self.line_starts.append(index + 1)

    def offset(self, lineno: int, col: int) -> int:
        return self.line_starts[lineno - 1] + col

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node: ast.AST) -> str:
        return self.text[self.start(node) : self.end(node)].decode()

    def line_span(self, first: int, last: int) -> tuple[int, int]:
        """Byte span of whole lines first..last (1-based, inclusive), newline included."""
        end = self.line_starts[last] if last < len(self.line_starts) else len(self.text)
        return self.line_starts[first - 1], end

    def line(self, lineno: int) -> str:
        start, end = self.line_span(lineno, lineno)
        return self.text[start:end].decode()


def _operator_in_gap(src: _Source, left: ast.AST, right: ast.AST, token: str) -> tuple[int, int] | None:
    """The span of `token` between two operands, when it occurs there exactly once as a word."""
    gap_start, gap_end = src.end(left), src.start(right)
    gap = src.text[gap_start:gap_end].decode()
    if "#" in gap:
        return None
    word = r"\b" if token[0].isalpha() else ""
    pattern = word + re.escape(token).replace(r"\ ", r"\s+") + word
    if not token[0].isalpha():
        # `<` must not match inside `<=`, nor `*` inside `**`.
        pattern = r"(?<![<>=!*/%+-])" + pattern + r"(?![<>=*/])"
    matches = list(re.finditer(pattern, gap))
    if len(matches) != 1:
        return None
    return gap_start + matches[0].start(), gap_start + matches[0].end()


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    return isinstance(parent, ast.Expr) and isinstance(node, ast.Constant) and isinstance(node.value, str)


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str, text: bytes):
        self.path = path
        self.src = _Source(text)
        self.found: list[Mutation] = []
        self.scope: list[str] = []
        self.parents: dict[ast.AST, ast.AST] = {}
        self.elifs: set[ast.If] = set()

    def run(self, tree: ast.Module) -> list[Mutation]:
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
            if isinstance(parent, ast.If) and len(parent.orelse) == 1 and isinstance(parent.orelse[0], ast.If):
                inner = parent.orelse[0]
                if self.src.line(inner.lineno).lstrip().startswith("elif"):
                    self.elifs.add(inner)
        self.visit(tree)
        return self.found

    def add(self, kind: str, start: int, end: int, replacement: str, node: ast.AST) -> None:
        if self.src.text[start:end].decode() == replacement:
            return
        lineno = self.src.text[:start].count(b"\n") + 1
        self.found.append(Mutation(self.path, kind, start, end, replacement, lineno, ".".join(self.scope)))

    # scopes ---------------------------------------------------------------------------------
    def _scoped(self, node: ast.AST) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in ("__repr__", "__str__"):
            return  # cosmetic; a bug there reads as noise
        self._scoped(node)

    visit_ClassDef = _scoped

    # kinds ----------------------------------------------------------------------------------
    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            token, swapped = _COMPARE_SWAP[type(op)]
            span = _operator_in_gap(self.src, operands[i], operands[i + 1], token)
            if span:
                self.add("comparison_flip", *span, swapped, node)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        swap = _BINOP_SWAP.get(type(node.op))
        stringy = any(
            isinstance(side, ast.JoinedStr) or (isinstance(side, ast.Constant) and isinstance(side.value, str))
            for side in (node.left, node.right)
        )
        if swap and not stringy:
            span = _operator_in_gap(self.src, node.left, node.right, swap[0])
            if span:
                self.add("arithmetic_operator", *span, swap[1], node)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        swap = _BINOP_SWAP.get(type(node.op))
        if swap and not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            span = _operator_in_gap(self.src, node.target, node.value, swap[0] + "=")
            if span:
                self.add("arithmetic_operator", *span, swap[1] + "=", node)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        token, swapped = _BOOL_SWAP[type(node.op)]
        for left, right in zip(node.values, node.values[1:]):
            span = _operator_in_gap(self.src, left, right, token)
            if span:
                self.add("boolean_operator", *span, swapped, node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool) and not _is_docstring(node, self.parents.get(node)):
            text = self.src.segment(node)
            if text.isdigit():
                for delta in (1, -1):
                    if value + delta >= 0:
                        self.add("off_by_one", self.src.start(node), self.src.end(node), str(value + delta), node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        positional = [a for a in node.args if not isinstance(a, ast.Starred)]
        if isinstance(func, ast.Name) and func.id == "range" and node.args and positional == node.args:
            bound = node.args[1] if len(node.args) >= 2 else node.args[0]
            if not isinstance(bound, ast.Constant):
                text = self.src.segment(bound)
                for delta in (" + 1", " - 1"):
                    self.add("off_by_one", self.src.start(bound), self.src.end(bound), text + delta, node)
        if len(positional) >= 2 and positional == node.args[: len(positional)]:
            first, second = self.src.segment(positional[0]), self.src.segment(positional[1])
            if first != second and "\n" not in first + second:
                start, end = self.src.start(positional[0]), self.src.end(positional[1])
                middle = self.src.text[self.src.end(positional[0]) : self.src.start(positional[1])].decode()
                self.add("swapped_arguments", start, end, second + middle + first, node)
        self.generic_visit(node)

    def _negate(self, test: ast.expr, node: ast.AST) -> None:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self.add("negated_condition", self.src.start(test), self.src.end(test), self.src.segment(test.operand), node)
        else:
            self.add("negated_condition", self.src.start(test), self.src.end(test), f"not ({self.src.segment(test)})", node)

    def visit_While(self, node: ast.While) -> None:
        self._negate(node.test, node)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._negate(node.test, node)
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        self._negate(node.test, node)
        self._drop_branch(node)
        self.generic_visit(node)

    def _drop_branch(self, node: ast.If) -> None:
        src = self.src
        first_line = src.line(node.lineno)
        indent = first_line[: len(first_line) - len(first_line.lstrip())]
        body_end = node.body[-1].end_lineno
        if node in self.elifs:
            last = node.end_lineno if not node.orelse else body_end
            self.add("dropped_branch", *src.line_span(node.lineno, last), "", node)
        elif src.offset(node.lineno, node.col_offset) != src.line_starts[node.lineno - 1] + len(indent):
            return  # not alone on its line
        elif not node.orelse:
            self.add("dropped_branch", *src.line_span(node.lineno, node.end_lineno), f"{indent}pass\n", node)
            return
        if not node.orelse or node.orelse[0] in self.elifs:
            return  # dropping an `if` would leave a dangling `elif`; its elifs are mutated instead
        for lineno in range(body_end + 1, node.orelse[0].lineno + 1):
            if src.line(lineno).strip().startswith("else"):
                self.add("dropped_branch", *src.line_span(lineno, node.orelse[-1].end_lineno), "", node)
                return

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            self.add("wrong_return", self.src.start(value), self.src.end(value), str(not value.value), node)
        elif isinstance(value, ast.BinOp) and "\n" not in self.src.segment(value):
            self.add("wrong_return", self.src.start(value), self.src.end(value), self.src.segment(value.left), node)
        elif isinstance(value, ast.IfExp):
            swapped = f"{self.src.segment(value.orelse)} if {self.src.segment(value.test)} else {self.src.segment(value.body)}"
            if "\n" not in swapped:
                self.add("wrong_return", self.src.start(value), self.src.end(value), swapped, node)
        self.generic_visit(node)


def find_mutations(path: str, text: bytes) -> list[Mutation]:
    """Every candidate mutation of one module whose result still parses, in source order."""
    tree = ast.parse(text, filename=path)
    found = []
    for mutation in _Finder(path, text).run(tree):
        try:
            ast.parse(mutation.apply(text))
        except SyntaxError:
            continue
        found.append(mutation)
    found.sort(key=lambda m: (m.start, m.end, m.kind, m.replacement))
    return found
