from fractions import Fraction

import pytest

from minimatrix import Matrix, determinant, inverse, solve


def test_determinant_2x2():
    assert determinant(Matrix([[3, 8], [4, 6]])) == -14


def test_determinant_3x3():
    assert determinant(Matrix([[6, 1, 1], [4, -2, 5], [2, 8, 7]])) == -306


def test_determinant_needs_swap():
    assert determinant(Matrix([[0, 1], [1, 0]])) == -1


def test_determinant_singular():
    assert determinant(Matrix([[1, 2], [2, 4]])) == 0


def test_determinant_identity():
    assert determinant(Matrix.identity(4)) == 1


def test_determinant_non_square():
    with pytest.raises(ValueError):
        determinant(Matrix([[1, 2]]))


def test_inverse():
    assert inverse(Matrix([[4, 7], [2, 6]])) == Matrix([[Fraction(3, 5), Fraction(-7, 10)], [Fraction(-1, 5), Fraction(2, 5)]])


def test_inverse_times_matrix():
    m = Matrix([[2, 1, 0], [1, 3, 1], [0, 1, 4]])
    assert m @ inverse(m) == Matrix.identity(3)


def test_inverse_singular():
    with pytest.raises(ZeroDivisionError):
        inverse(Matrix([[1, 2], [2, 4]]))


def test_solve():
    assert solve(Matrix([[2, 1], [1, 3]]), [3, 5]) == [Fraction(4, 5), Fraction(7, 5)]


def test_solve_needs_pivot_swap():
    assert solve(Matrix([[0, 2], [3, 0]]), [4, 9]) == [3, 2]


def test_solve_wrong_rhs():
    with pytest.raises(ValueError):
        solve(Matrix([[1, 0], [0, 1]]), [1])
