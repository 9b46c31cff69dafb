"""Dense matrices over Python numbers (ints and Fractions stay exact)."""
from .matrix import Matrix
from .solve import determinant, inverse, solve

__all__ = ["Matrix", "determinant", "inverse", "solve"]
