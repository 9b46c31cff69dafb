import pytest

from minicalc import CalcError, evaluate


def test_add():
    assert evaluate("1 + 2") == 3


def test_precedence():
    assert evaluate("2 + 3 * 4") == 14


def test_parentheses():
    assert evaluate("(2 + 3) * 4") == 20


def test_subtraction_order():
    assert evaluate("10 - 4 - 3") == 3


def test_division_exact_is_int():
    assert evaluate("8 / 2") == 4
    assert isinstance(evaluate("8 / 2"), int)


def test_division_fraction():
    assert evaluate("7 / 2") == 3.5


def test_division_by_zero():
    with pytest.raises(CalcError):
        evaluate("1 / 0")


def test_modulo():
    assert evaluate("17 % 5") == 2


def test_modulo_by_zero():
    with pytest.raises(CalcError):
        evaluate("1 % 0")


def test_power():
    assert evaluate("2 ^ 10") == 1024


def test_power_right_assoc():
    assert evaluate("2 ^ 3 ^ 2") == 512


def test_negative_power_base():
    assert evaluate("-2 ^ 2") == -4


def test_unary_minus():
    assert evaluate("-3 + 5") == 2


def test_variables():
    assert evaluate("x * y + 1", x=3, y=4) == 13


def test_unknown_variable():
    with pytest.raises(CalcError):
        evaluate("x + 1")


def test_comparison_true():
    assert evaluate("3 < 4") == 1


def test_comparison_equal_bound():
    assert evaluate("4 <= 4") == 1


def test_comparison_false():
    assert evaluate("3 > 4") == 0


def test_not_equal():
    assert evaluate("3 != 3") == 0


def test_comparison_binds_loosest():
    assert evaluate("1 + 1 == 2") == 1


def test_abs():
    assert evaluate("abs(-7)") == 7


def test_min_max():
    assert evaluate("min(4, 2, 9) + max(1, 5)") == 7


def test_sqrt():
    assert evaluate("sqrt(16)") == 4


def test_sqrt_negative():
    with pytest.raises(CalcError):
        evaluate("sqrt(-1)")


def test_clamp_low():
    assert evaluate("clamp(-5, 0, 10)") == 0


def test_clamp_high():
    assert evaluate("clamp(50, 0, 10)") == 10


def test_clamp_inside():
    assert evaluate("clamp(5, 0, 10)") == 5


def test_wrong_arity():
    with pytest.raises(CalcError):
        evaluate("abs(1, 2)")


def test_min_needs_args():
    with pytest.raises(CalcError):
        evaluate("min()")


def test_unknown_function():
    with pytest.raises(CalcError):
        evaluate("nope(1)")
