import pytest

from unitconv import from_roman, to_roman


def test_one():
    assert to_roman(1) == "I"


def test_four():
    assert to_roman(4) == "IV"


def test_nine():
    assert to_roman(9) == "IX"


def test_fourteen():
    assert to_roman(14) == "XIV"


def test_forty_nine():
    assert to_roman(49) == "XLIX"


def test_year():
    assert to_roman(1994) == "MCMXCIV"


def test_max():
    assert to_roman(3999) == "MMMCMXCIX"


def test_zero_rejected():
    with pytest.raises(ValueError):
        to_roman(0)


def test_too_big_rejected():
    with pytest.raises(ValueError):
        to_roman(4000)


def test_bool_rejected():
    with pytest.raises(TypeError):
        to_roman(True)


def test_parse_simple():
    assert from_roman("XIV") == 14


def test_parse_subtractive():
    assert from_roman("MCMXCIV") == 1994


def test_parse_lowercase():
    assert from_roman("xlii") == 42


def test_parse_rejects_non_canonical():
    with pytest.raises(ValueError):
        from_roman("IIII")


def test_parse_rejects_bad_digit():
    with pytest.raises(ValueError):
        from_roman("XZ")


def test_parse_rejects_empty():
    with pytest.raises(ValueError):
        from_roman(" ")


def test_round_trip():
    assert all(from_roman(to_roman(n)) == n for n in range(1, 400))
