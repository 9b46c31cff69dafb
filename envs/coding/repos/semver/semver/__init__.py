"""Semantic versions: parsing, precedence, bumping and range matching (^, ~, comparisons)."""
from .ranges import Range, max_satisfying
from .version import Version

__all__ = ["Range", "Version", "max_satisfying"]
