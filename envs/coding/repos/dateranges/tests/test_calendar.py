from datetime import date

import pytest

from dateranges import add_business_days, business_days_between, days_in_month, is_leap_year
from dateranges.calendar import add_months, is_business_day


def test_leap_every_fourth():
    assert is_leap_year(2024)


def test_not_leap():
    assert not is_leap_year(2023)


def test_century_not_leap():
    assert not is_leap_year(1900)


def test_four_hundred_leap():
    assert is_leap_year(2000)


def test_days_in_february_leap():
    assert days_in_month(2024, 2) == 29


def test_days_in_february():
    assert days_in_month(2023, 2) == 28


def test_days_in_december():
    assert days_in_month(2023, 12) == 31


def test_days_in_april():
    assert days_in_month(2023, 4) == 30


def test_bad_month():
    with pytest.raises(ValueError):
        days_in_month(2023, 13)


def test_month_zero():
    with pytest.raises(ValueError):
        days_in_month(2023, 0)


def test_add_months_simple():
    assert add_months(date(2023, 1, 15), 1) == date(2023, 2, 15)


def test_add_months_clamps():
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)


def test_add_months_over_year():
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)


def test_subtract_months():
    assert add_months(date(2024, 1, 10), -1) == date(2023, 12, 10)


def test_weekend_not_business():
    assert not is_business_day(date(2024, 6, 1))  # a Saturday


def test_friday_is_business():
    assert is_business_day(date(2024, 5, 31))


def test_holiday_not_business():
    assert not is_business_day(date(2024, 5, 29), holidays={date(2024, 5, 29)})


def test_add_business_days_skips_weekend():
    assert add_business_days(date(2024, 5, 31), 1) == date(2024, 6, 3)


def test_add_business_days_zero():
    assert add_business_days(date(2024, 6, 1), 0) == date(2024, 6, 1)


def test_add_business_days_backwards():
    assert add_business_days(date(2024, 6, 3), -1) == date(2024, 5, 31)


def test_add_business_days_holiday():
    assert add_business_days(date(2024, 5, 28), 1, holidays={date(2024, 5, 29)}) == date(2024, 5, 30)


def test_business_days_between_week():
    assert business_days_between(date(2024, 6, 3), date(2024, 6, 10)) == 5


def test_business_days_between_excludes_end():
    assert business_days_between(date(2024, 6, 3), date(2024, 6, 4)) == 1


def test_business_days_between_reversed():
    assert business_days_between(date(2024, 6, 10), date(2024, 6, 3)) == -5
