import pytest

from pqueue import PriorityQueue


def filled(pairs):
    q = PriorityQueue()
    for item, priority in pairs:
        q.push(item, priority)
    return q


def test_pop_smallest():
    q = filled([("a", 5), ("b", 1), ("c", 3)])
    assert q.pop() == ("b", 1)


def test_drain_sorted():
    q = filled([("a", 5), ("b", 1), ("c", 3), ("d", 4), ("e", 2)])
    assert q.drain() == ["b", "e", "c", "d", "a"]


def test_fifo_for_equal_priorities():
    q = filled([("x", 1), ("y", 1), ("z", 1)])
    assert q.drain() == ["x", "y", "z"]


def test_len_and_bool():
    q = filled([("a", 1)])
    assert len(q) == 1
    assert q
    q.pop()
    assert not q


def test_contains():
    q = filled([("a", 1)])
    assert "a" in q
    assert "b" not in q


def test_duplicate_push_fails():
    q = filled([("a", 1)])
    with pytest.raises(KeyError):
        q.push("a", 2)


def test_peek():
    q = filled([("a", 2), ("b", 1)])
    assert q.peek() == "b"
    assert len(q) == 2


def test_peek_empty():
    with pytest.raises(IndexError):
        PriorityQueue().peek()


def test_pop_empty():
    with pytest.raises(IndexError):
        PriorityQueue().pop()


def test_priority_lookup():
    q = filled([("a", 7)])
    assert q.priority("a") == 7


def test_update_decrease():
    q = filled([("a", 5), ("b", 3), ("c", 4)])
    q.update("a", 1)
    assert q.peek() == "a"


def test_update_increase():
    q = filled([("a", 1), ("b", 3), ("c", 4)])
    q.update("a", 10)
    assert q.drain() == ["b", "c", "a"]


def test_update_same_keeps_order():
    q = filled([("a", 1), ("b", 1)])
    q.update("b", 1)
    assert q.drain() == ["a", "b"]


def test_remove_middle():
    q = filled([("a", 1), ("b", 2), ("c", 3), ("d", 4)])
    q.remove("b")
    assert q.drain() == ["a", "c", "d"]


def test_remove_last():
    q = filled([("a", 1), ("b", 2)])
    q.remove("b")
    assert q.drain() == ["a"]


def test_remove_root():
    q = filled([("a", 1), ("b", 2), ("c", 0.5)])
    q.remove("c")
    assert q.drain() == ["a", "b"]


def test_remove_then_contains():
    q = filled([("a", 1), ("b", 2)])
    q.remove("a")
    assert "a" not in q


def test_many_items_in_order():
    q = filled([(f"i{n}", (n * 7) % 10) for n in range(10)])
    assert [q.priority(x) for x in q.nsmallest(10)] == list(range(10))


def test_nsmallest_does_not_remove():
    q = filled([("a", 2), ("b", 1), ("c", 3)])
    assert q.nsmallest(2) == ["b", "a"]
    assert len(q) == 3
