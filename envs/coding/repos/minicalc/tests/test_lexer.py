import pytest

from minicalc import LexError, lex


def kinds(text):
    return [t[0] for t in lex(text)]


def texts(text):
    return [t[1] for t in lex(text)][:-1]


def test_numbers_and_ops():
    assert texts("1 + 23") == ["1", "+", "23"]


def test_decimal():
    assert texts("3.25") == ["3.25"]


def test_leading_dot():
    assert texts(".5") == [".5"]


def test_second_dot_starts_new_number():
    assert texts("1.2.3") == ["1.2", ".3"]


def test_two_char_ops():
    assert texts("a<=b!=c") == ["a", "<=", "b", "!=", "c"]


def test_names():
    assert kinds("x_1 + y") == ["name", "op", "name", "end"]


def test_positions():
    assert [t[2] for t in lex("ab + c")] == [0, 3, 5, 6]


def test_bad_char():
    with pytest.raises(LexError):
        lex("1 $ 2")
