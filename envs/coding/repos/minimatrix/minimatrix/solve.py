"""Gaussian elimination with exact Fractions: determinant, inverse, linear solve."""
from fractions import Fraction

from .matrix import Matrix


def _eliminate(rows):
    """Row-reduce an augmented copy in place to reduced row-echelon form; returns the row-swap sign,
    or 0 when the left square block is singular."""
    n = len(rows)
    sign = 1
    for col in range(n):
        pivot = None
        for r in range(col, n):
            if rows[r][col] != 0:
                pivot = r
                break
        if pivot is None:
            return 0
        if pivot != col:
            rows[col], rows[pivot] = rows[pivot], rows[col]
            sign = -sign
        for r in range(n):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col])]
    return sign


def determinant(matrix):
    if not matrix.is_square():
        raise ValueError("determinant needs a square matrix")
    rows = [[Fraction(a) for a in r] for r in matrix.rows]
    sign = _eliminate(rows)
    if sign == 0:
        return Fraction(0)
    product = Fraction(sign)
    for i in range(len(rows)):
        product *= rows[i][i]
    return product


def inverse(matrix):
    if not matrix.is_square():
        raise ValueError("only square matrices have inverses")
    n = matrix.shape[0]
    rows = [[Fraction(a) for a in r] + [Fraction(1 if i == j else 0) for j in range(n)] for i, r in enumerate(matrix.rows)]
    if _eliminate(rows) == 0:
        raise ZeroDivisionError("matrix is singular")
    return Matrix([[a / rows[i][i] for a in rows[i][n:]] for i in range(n)])


def solve(matrix, rhs):
    """x with matrix @ x == rhs, for a square non-singular matrix and a list rhs."""
    n = matrix.shape[0]
    if not matrix.is_square() or len(rhs) != n:
        raise ValueError("solve needs a square matrix and one value per row")
    rows = [[Fraction(a) for a in r] + [Fraction(b)] for r, b in zip(matrix.rows, rhs)]
    if _eliminate(rows) == 0:
        raise ZeroDivisionError("matrix is singular")
    return [rows[i][n] / rows[i][i] for i in range(n)]
