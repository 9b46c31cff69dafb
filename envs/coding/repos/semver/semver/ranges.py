"""Version ranges: space-separated comparators (all must hold), `||` between alternatives.

Comparators: `=1.2.3`, `>1.2.3`, `>=`, `<`, `<=`, caret `^1.2.3` (same leftmost non-zero part) and
tilde `~1.2.3` (same minor). Pre-releases only match a comparator on the same major.minor.patch.
"""
from .version import Version


def _caret_upper(v):
    if v.major > 0:
        return Version(v.major + 1, 0, 0)
    if v.minor > 0:
        return Version(0, v.minor + 1, 0)
    return Version(0, 0, v.patch + 1)


def _expand(token):
    """A token as a list of (operator, version) comparators."""
    for op in (">=", "<=", ">", "<", "="):
        if token.startswith(op):
            return [(op, Version.parse(token[len(op) :]))]
    if token.startswith("^"):
        low = Version.parse(token[1:])
        return [(">=", low), ("<", _caret_upper(low))]
    if token.startswith("~"):
        low = Version.parse(token[1:])
        return [(">=", low), ("<", Version(low.major, low.minor + 1, 0))]
    return [("=", Version.parse(token))]


def _holds(op, version, bound):
    result = version.compare(bound)
    if op == "=":
        return result == 0
    if op == ">":
        return result > 0
    if op == ">=":
        return result >= 0
    if op == "<":
        return result < 0
    return result <= 0


class Range:
    def __init__(self, text):
        alternatives = [part.strip() for part in text.split("||")]
        if not all(alternatives):
            raise ValueError(f"empty alternative in range {text!r}")
        self.sets = [[c for token in alt.split() for c in _expand(token)] for alt in alternatives]

    def matches(self, version):
        if isinstance(version, str):
            version = Version.parse(version)
        return any(self._set_matches(comparators, version) for comparators in self.sets)

    @staticmethod
    def _set_matches(comparators, version):
        if not all(_holds(op, version, bound) for op, bound in comparators):
            return False
        if version.is_prerelease():
            return any(bound.is_prerelease() and bound._core() == version._core() for _, bound in comparators)
        return True


def max_satisfying(versions, range_text):
    """The highest of the version strings matching the range, or None."""
    wanted = Range(range_text)
    best = None
    for text in versions:
        version = Version.parse(text)
        if wanted.matches(version) and (best is None or version > best):
            best = version
    return None if best is None else str(best)
