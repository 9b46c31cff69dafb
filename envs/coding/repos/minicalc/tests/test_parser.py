import pytest

from minicalc import ParseError, parse


def test_number():
    assert parse("42") == ("num", 42)


def test_precedence():
    assert parse("1 + 2 * 3") == ("bin", "+", ("num", 1), ("bin", "*", ("num", 2), ("num", 3)))


def test_left_associative_subtraction():
    assert parse("8 - 3 - 2") == ("bin", "-", ("bin", "-", ("num", 8), ("num", 3)), ("num", 2))


def test_right_associative_power():
    assert parse("2 ^ 3 ^ 2") == ("bin", "^", ("num", 2), ("bin", "^", ("num", 3), ("num", 2)))


def test_unary_minus():
    assert parse("-x") == ("neg", ("var", "x"))


def test_call_no_args():
    assert parse("f()") == ("call", "f", [])


def test_call_args():
    assert parse("max(1, y)") == ("call", "max", [("num", 1), ("var", "y")])


def test_unclosed_paren():
    with pytest.raises(ParseError):
        parse("(1 + 2")


def test_trailing_garbage():
    with pytest.raises(ParseError):
        parse("1 2")


def test_empty():
    with pytest.raises(ParseError):
        parse("")
