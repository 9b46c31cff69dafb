import pytest

from intervals import Interval, IntervalSet


def test_add_disjoint_keeps_order():
    s = IntervalSet([(10, 12), (1, 3)])
    assert s.as_tuples() == [(1, 3), (10, 12)]


def test_add_merges_overlapping():
    s = IntervalSet([(1, 5), (3, 8)])
    assert s.as_tuples() == [(1, 8)]


def test_add_merges_adjacent():
    s = IntervalSet([(1, 3), (3, 6)])
    assert s.as_tuples() == [(1, 6)]


def test_add_bridges_several():
    s = IntervalSet([(1, 2), (4, 5), (7, 8)])
    s.add((2, 7))
    assert s.as_tuples() == [(1, 8)]


def test_add_in_middle():
    s = IntervalSet([(1, 2), (8, 9)])
    s.add((4, 5))
    assert s.as_tuples() == [(1, 2), (4, 5), (8, 9)]


def test_add_empty_is_ignored():
    s = IntervalSet([(1, 2)])
    s.add((5, 5))
    assert s.as_tuples() == [(1, 2)]


def test_add_accepts_interval_objects():
    s = IntervalSet([Interval(0, 2)])
    assert s.as_tuples() == [(0, 2)]


def test_len_counts_intervals():
    assert len(IntervalSet([(1, 2), (4, 6)])) == 2


def test_total_length():
    assert IntervalSet([(1, 3), (10, 15)]).total_length() == 7


def test_membership_inside():
    assert 11 in IntervalSet([(1, 3), (10, 15)])


def test_membership_at_end_excluded():
    assert 3 not in IntervalSet([(1, 3), (10, 15)])


def test_membership_at_start_included():
    assert 10 in IntervalSet([(1, 3), (10, 15)])


def test_membership_in_gap():
    assert 5 not in IntervalSet([(1, 3), (10, 15)])


def test_membership_in_many():
    s = IntervalSet([(i * 10, i * 10 + 2) for i in range(9)])
    assert 71 in s
    assert 75 not in s


def test_membership_empty_set():
    assert 0 not in IntervalSet()


def test_remove_middle_splits():
    s = IntervalSet([(0, 10)])
    s.remove((3, 5))
    assert s.as_tuples() == [(0, 3), (5, 10)]


def test_remove_prefix():
    s = IntervalSet([(0, 10)])
    s.remove((0, 4))
    assert s.as_tuples() == [(4, 10)]


def test_remove_suffix():
    s = IntervalSet([(0, 10)])
    s.remove((6, 12))
    assert s.as_tuples() == [(0, 6)]


def test_remove_everything():
    s = IntervalSet([(2, 4), (6, 8)])
    s.remove((0, 10))
    assert s.as_tuples() == []


def test_remove_non_overlapping_keeps():
    s = IntervalSet([(2, 4)])
    s.remove((4, 6))
    assert s.as_tuples() == [(2, 4)]


def test_union():
    a = IntervalSet([(1, 3)])
    b = IntervalSet([(2, 6), (9, 10)])
    assert a.union(b).as_tuples() == [(1, 6), (9, 10)]


def test_union_leaves_operands():
    a = IntervalSet([(1, 3)])
    a.union(IntervalSet([(5, 6)]))
    assert a.as_tuples() == [(1, 3)]


def test_intersection():
    a = IntervalSet([(0, 5), (10, 15)])
    b = IntervalSet([(3, 12)])
    assert a.intersection(b).as_tuples() == [(3, 5), (10, 12)]


def test_intersection_many_pieces():
    a = IntervalSet([(0, 2), (4, 6), (8, 10)])
    b = IntervalSet([(1, 9)])
    assert a.intersection(b).as_tuples() == [(1, 2), (4, 6), (8, 9)]


def test_intersection_disjoint():
    a = IntervalSet([(0, 2)])
    b = IntervalSet([(5, 9)])
    assert a.intersection(b).as_tuples() == []


def test_difference():
    a = IntervalSet([(0, 10)])
    b = IntervalSet([(2, 3), (5, 7)])
    assert a.difference(b).as_tuples() == [(0, 2), (3, 5), (7, 10)]


def test_gaps_between():
    assert IntervalSet([(0, 2), (5, 6), (9, 10)]).gaps() == [(2, 5), (6, 9)]


def test_gaps_within_adds_edges():
    assert IntervalSet([(3, 5)]).gaps((0, 10)) == [(0, 3), (5, 10)]


def test_gaps_within_clips():
    assert IntervalSet([(0, 2), (6, 8)]).gaps((1, 7)) == [(2, 6)]


def test_gaps_of_empty_set():
    assert IntervalSet().gaps((2, 4)) == [(2, 4)]


def test_first_fit_finds_earliest():
    s = IntervalSet([(0, 2), (3, 5), (10, 12)])
    assert s.first_fit(3, (0, 20)) == 5


def test_first_fit_exact_size():
    s = IntervalSet([(0, 2), (4, 10)])
    assert s.first_fit(2, (0, 10)) == 2


def test_first_fit_none():
    s = IntervalSet([(0, 2), (3, 10)])
    assert s.first_fit(2, (0, 10)) is None


def test_first_fit_rejects_zero():
    with pytest.raises(ValueError):
        IntervalSet().first_fit(0, (0, 10))


def test_repr():
    assert repr(IntervalSet([(1, 2)])) == "IntervalSet([(1, 2)])"
