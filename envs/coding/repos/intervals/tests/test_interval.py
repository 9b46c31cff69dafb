import pytest

from intervals import Interval


def test_rejects_reversed_bounds():
    with pytest.raises(ValueError):
        Interval(5, 2)


def test_rejects_non_integers():
    with pytest.raises(TypeError):
        Interval(1.5, 3)


def test_empty_interval_allowed():
    assert Interval(4, 4).is_empty()


def test_length():
    assert len(Interval(3, 10)) == 7


def test_contains_start():
    assert Interval(2, 5).contains(2)


def test_excludes_end():
    assert not Interval(2, 5).contains(5)


def test_contains_below_start():
    assert not Interval(2, 5).contains(1)


def test_overlaps_partial():
    assert Interval(1, 5).overlaps(Interval(4, 8))


def test_adjacent_do_not_overlap():
    assert not Interval(1, 4).overlaps(Interval(4, 8))


def test_empty_never_overlaps():
    assert not Interval(3, 3).overlaps(Interval(1, 8))


def test_adjacent_touch():
    assert Interval(1, 4).touches(Interval(4, 8))


def test_separated_do_not_touch():
    assert not Interval(1, 3).touches(Interval(4, 8))


def test_intersection_of_overlapping():
    assert Interval(1, 6).intersection(Interval(4, 9)) == Interval(4, 6)


def test_intersection_of_adjacent_is_none():
    assert Interval(1, 4).intersection(Interval(4, 9)) is None


def test_hull():
    assert Interval(1, 3).hull(Interval(7, 9)) == Interval(1, 9)


def test_shift():
    assert Interval(1, 3).shift(10) == Interval(11, 13)


def test_shift_negative():
    assert Interval(5, 8).shift(-5) == Interval(0, 3)


def test_split_inside():
    assert Interval(0, 10).split(4) == (Interval(0, 4), Interval(4, 10))


def test_split_at_start_is_noop():
    interval = Interval(0, 10)
    assert interval.split(0) == (interval, None)


def test_split_at_end_is_noop():
    interval = Interval(0, 10)
    assert interval.split(10) == (interval, None)


def test_equality_and_hash():
    assert Interval(1, 2) == Interval(1, 2)
    assert len({Interval(1, 2), Interval(1, 2)}) == 1


def test_not_equal_to_tuple():
    assert Interval(1, 2) != (1, 2)
