"""MAJOR.MINOR.PATCH[-prerelease][+build] with semver 2.0 precedence."""
import functools
import re

_PATTERN = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$")


def _compare_identifiers(a, b):
    """Pre-release identifiers: numeric ones compare as numbers and sort before alphanumeric ones."""
    a_num, b_num = a.isdigit(), b.isdigit()
    if a_num and b_num:
        return (int(a) > int(b)) - (int(a) < int(b))
    if a_num != b_num:
        return -1 if a_num else 1
    return (a > b) - (a < b)


@functools.total_ordering
class Version:
    def __init__(self, major, minor, patch, prerelease=(), build=()):
        if min(major, minor, patch) < 0:
            raise ValueError("version numbers cannot be negative")
        self.major, self.minor, self.patch = major, minor, patch
        self.prerelease = tuple(prerelease)
        self.build = tuple(build)

    @classmethod
    def parse(cls, text):
        match = _PATTERN.match(text.strip())
        if not match:
            raise ValueError(f"not a semantic version: {text!r}")
        major, minor, patch, pre, build = match.groups()
        return cls(int(major), int(minor), int(patch), pre.split(".") if pre else (), build.split(".") if build else ())

    def __str__(self):
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def __repr__(self):
        return f"Version({str(self)!r})"

    def _core(self):
        return (self.major, self.minor, self.patch)

    def compare(self, other):
        """-1, 0 or 1; build metadata is ignored; a pre-release sorts before its release."""
        if self._core() != other._core():
            return -1 if self._core() < other._core() else 1
        if not self.prerelease or not other.prerelease:
            return (not self.prerelease) - (not other.prerelease)
        for a, b in zip(self.prerelease, other.prerelease):
            result = _compare_identifiers(a, b)
            if result != 0:
                return result
        return (len(self.prerelease) > len(other.prerelease)) - (len(self.prerelease) < len(other.prerelease))

    def __eq__(self, other):
        return isinstance(other, Version) and self.compare(other) == 0

    def __lt__(self, other):
        return self.compare(other) < 0

    def __hash__(self):
        return hash((self._core(), self.prerelease))

    def is_prerelease(self):
        return len(self.prerelease) > 0

    def bump(self, part):
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            # releasing a pre-release keeps its numbers
            if self.prerelease:
                return Version(self.major, self.minor, self.patch)
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown part {part!r}")
