import pytest

from ledger.money import format_cents, parse_amount, split_evenly


def test_parse_whole():
    assert parse_amount("12") == 1200


def test_parse_one_decimal():
    assert parse_amount("12.5") == 1250


def test_parse_two_decimals():
    assert parse_amount("0.07") == 7


def test_parse_thousands():
    assert parse_amount("1,234.56") == 123456


def test_parse_negative():
    assert parse_amount("-3.07") == -307


def test_parse_rejects_empty():
    with pytest.raises(ValueError):
        parse_amount("  ")


def test_parse_rejects_three_decimals():
    with pytest.raises(ValueError):
        parse_amount("1.234")


def test_parse_rejects_letters():
    with pytest.raises(ValueError):
        parse_amount("12a")


def test_format_small():
    assert format_cents(7) == "0.07"


def test_format_thousands():
    assert format_cents(123456) == "1,234.56"


def test_format_millions():
    assert format_cents(100000000) == "1,000,000.00"


def test_format_exactly_three_digits():
    assert format_cents(99900) == "999.00"


def test_format_negative():
    assert format_cents(-250) == "-2.50"


def test_split_even():
    assert split_evenly(900, 3) == [300, 300, 300]


def test_split_remainder_goes_first():
    assert split_evenly(1000, 3) == [334, 333, 333]


def test_split_keeps_total():
    assert sum(split_evenly(1001, 7)) == 1001


def test_split_rejects_zero_parts():
    with pytest.raises(ValueError):
        split_evenly(100, 0)
