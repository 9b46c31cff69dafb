import pytest

from pqueue import Scheduler


def test_deadline_order():
    s = Scheduler()
    s.add("late", 10)
    s.add("early", 2)
    assert s.order() == ["early", "late"]


def test_dependency_first():
    s = Scheduler()
    s.add("build", 1, after=["fetch"])
    s.add("fetch", 5)
    assert s.order() == ["fetch", "build"]


def test_two_dependencies():
    s = Scheduler()
    s.add("c", 1, after=["a", "b"])
    s.add("a", 3)
    s.add("b", 2)
    assert s.order() == ["b", "a", "c"]


def test_unknown_dependency():
    s = Scheduler()
    s.add("a", 1, after=["ghost"])
    with pytest.raises(KeyError):
        s.order()


def test_cycle():
    s = Scheduler()
    s.add("a", 1, after=["b"])
    s.add("b", 1, after=["a"])
    with pytest.raises(ValueError):
        s.order()


def test_duplicate_job():
    s = Scheduler()
    s.add("a", 1)
    with pytest.raises(ValueError):
        s.add("a", 2)


def test_negative_deadline():
    with pytest.raises(ValueError):
        Scheduler().add("a", -1)


def test_zero_deadline_allowed():
    s = Scheduler()
    s.add("a", 0)
    assert s.order() == ["a"]


def test_late_jobs():
    s = Scheduler()
    s.add("a", 1)
    s.add("b", 2)
    s.add("c", 3)
    assert s.late_jobs({"a": 1, "b": 2, "c": 1}) == ["b", "c"]


def test_on_time_exactly():
    s = Scheduler()
    s.add("a", 2)
    assert s.late_jobs({"a": 2}) == []
