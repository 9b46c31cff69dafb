from datetime import date

import pytest

from dateranges import DateRange


def r(a, b):
    return DateRange(date.fromisoformat(a), date.fromisoformat(b))


def test_rejects_reversed():
    with pytest.raises(ValueError):
        r("2024-02-02", "2024-02-01")


def test_single_day_length():
    assert len(r("2024-02-01", "2024-02-01")) == 1


def test_length_inclusive():
    assert len(r("2024-02-01", "2024-02-10")) == 10


def test_contains_ends():
    rng = r("2024-02-01", "2024-02-10")
    assert date(2024, 2, 1) in rng
    assert date(2024, 2, 10) in rng


def test_excludes_outside():
    assert date(2024, 2, 11) not in r("2024-02-01", "2024-02-10")


def test_iterates_all_days():
    assert [d.day for d in r("2024-02-27", "2024-03-01")] == [27, 28, 29, 1]


def test_month_constructor():
    assert DateRange.month(2023, 2) == r("2023-02-01", "2023-02-28")


def test_overlap_sharing_one_day():
    assert r("2024-01-01", "2024-01-05").overlaps(r("2024-01-05", "2024-01-09"))


def test_no_overlap():
    assert not r("2024-01-01", "2024-01-04").overlaps(r("2024-01-05", "2024-01-09"))


def test_intersection():
    assert r("2024-01-01", "2024-01-10").intersection(r("2024-01-05", "2024-01-20")) == r("2024-01-05", "2024-01-10")


def test_intersection_none():
    assert r("2024-01-01", "2024-01-04").intersection(r("2024-01-05", "2024-01-09")) is None


def test_business_days():
    assert r("2024-06-01", "2024-06-09").business_days() == 5


def test_business_days_with_holiday():
    assert r("2024-06-03", "2024-06-07").business_days(holidays={date(2024, 6, 5)}) == 4


def test_split_by_month():
    parts = r("2024-01-30", "2024-03-02").split_by_month()
    assert parts == [r("2024-01-30", "2024-01-31"), r("2024-02-01", "2024-02-29"), r("2024-03-01", "2024-03-02")]


def test_split_within_month():
    assert r("2024-05-03", "2024-05-09").split_by_month() == [r("2024-05-03", "2024-05-09")]


def test_shift_months():
    assert r("2024-01-31", "2024-02-29").shift_months(1) == r("2024-02-29", "2024-03-29")


def test_weeks():
    assert r("2024-06-01", "2024-06-10").weeks() == 3


def test_repr():
    assert repr(r("2024-06-01", "2024-06-02")) == "DateRange(2024-06-01, 2024-06-02)"
