import pytest

from minimatrix import Matrix


def test_shape():
    assert Matrix([[1, 2, 3], [4, 5, 6]]).shape == (2, 3)


def test_rejects_ragged():
    with pytest.raises(ValueError):
        Matrix([[1, 2], [3]])


def test_rejects_empty():
    with pytest.raises(ValueError):
        Matrix([])


def test_identity():
    assert Matrix.identity(2) == Matrix([[1, 0], [0, 1]])


def test_zeros():
    assert Matrix.zeros(2, 3) == Matrix([[0, 0, 0], [0, 0, 0]])


def test_getitem():
    assert Matrix([[1, 2], [3, 4]])[1, 0] == 3


def test_is_square():
    assert Matrix([[1]]).is_square()
    assert not Matrix([[1, 2]]).is_square()


def test_transpose():
    assert Matrix([[1, 2, 3], [4, 5, 6]]).transpose() == Matrix([[1, 4], [2, 5], [3, 6]])


def test_add():
    assert Matrix([[1, 2]]) + Matrix([[10, 20]]) == Matrix([[11, 22]])


def test_sub():
    assert Matrix([[5, 5]]) - Matrix([[1, 2]]) == Matrix([[4, 3]])


def test_add_shape_mismatch():
    with pytest.raises(ValueError):
        Matrix([[1, 2]]) + Matrix([[1], [2]])


def test_scale():
    assert Matrix([[1, -2]]).scale(3) == Matrix([[3, -6]])


def test_matmul():
    a = Matrix([[1, 2], [3, 4]])
    b = Matrix([[5, 6], [7, 8]])
    assert a @ b == Matrix([[19, 22], [43, 50]])


def test_matmul_rectangular():
    a = Matrix([[1, 2, 3]])
    b = Matrix([[1], [2], [3]])
    assert a @ b == Matrix([[14]])


def test_matmul_mismatch():
    with pytest.raises(ValueError):
        Matrix([[1, 2]]) @ Matrix([[1, 2]])


def test_power_zero_is_identity():
    assert Matrix([[2, 1], [0, 2]]).power(0) == Matrix.identity(2)


def test_power_fibonacci():
    assert Matrix([[1, 1], [1, 0]]).power(10)[0, 1] == 55


def test_power_three():
    assert Matrix([[2, 0], [0, 3]]).power(3) == Matrix([[8, 0], [0, 27]])


def test_power_negative():
    with pytest.raises(ValueError):
        Matrix([[1]]).power(-1)


def test_trace():
    assert Matrix([[1, 2], [3, 4]]).trace() == 5


def test_row_sums():
    assert Matrix([[1, 2], [3, 4]]).row_sums() == [3, 7]


def test_column():
    assert Matrix([[1, 2], [3, 4]]).column(1) == [2, 4]


def test_column_out_of_range():
    with pytest.raises(IndexError):
        Matrix([[1, 2]]).column(2)
