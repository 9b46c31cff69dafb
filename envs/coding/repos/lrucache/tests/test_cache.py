import pytest

from lrucache import LRUCache


class Clock:
    def __init__(self):
        self.now = 0

    def __call__(self):
        return self.now


def test_get_missing_default():
    assert LRUCache(2).get("x", "dflt") == "dflt"


def test_put_get():
    c = LRUCache(2)
    c.put("a", 1)
    assert c.get("a") == 1


def test_overwrite():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("a", 2)
    assert c.get("a") == 2
    assert len(c) == 1


def test_evicts_least_recent():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.put("c", 3)
    assert "a" not in c
    assert c.keys() == ["c", "b"]


def test_get_refreshes_recency():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.get("a")
    c.put("c", 3)
    assert c.keys() == ["c", "a"]


def test_put_existing_refreshes():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.put("a", 10)
    c.put("c", 3)
    assert sorted(c.keys()) == ["a", "c"]


def test_capacity_one():
    c = LRUCache(1)
    c.put("a", 1)
    c.put("b", 2)
    assert c.keys() == ["b"]


def test_fills_to_capacity():
    c = LRUCache(3)
    for k in "abc":
        c.put(k, k)
    assert len(c) == 3


def test_rejects_zero_capacity():
    with pytest.raises(ValueError):
        LRUCache(0)


def test_rejects_bad_ttl():
    with pytest.raises(ValueError):
        LRUCache(1, ttl=0)


def test_counts_evictions():
    c = LRUCache(1)
    c.put("a", 1)
    c.put("b", 2)
    c.put("c", 3)
    assert c.evictions == 2


def test_hit_and_miss_counts():
    c = LRUCache(2)
    c.put("a", 1)
    c.get("a")
    c.get("b")
    assert (c.hits, c.misses) == (1, 1)


def test_hit_rate():
    c = LRUCache(2)
    c.put("a", 1)
    for _ in range(3):
        c.get("a")
    c.get("zz")
    assert c.hit_rate() == 0.75


def test_hit_rate_empty():
    assert LRUCache(1).hit_rate() == 0.0


def test_ttl_expires():
    clock = Clock()
    c = LRUCache(2, ttl=10, clock=clock)
    c.put("a", 1)
    clock.now = 10
    assert c.get("a") is None


def test_ttl_alive_before_expiry():
    clock = Clock()
    c = LRUCache(2, ttl=10, clock=clock)
    c.put("a", 1)
    clock.now = 9
    assert c.get("a") == 1


def test_expired_not_contained():
    clock = Clock()
    c = LRUCache(2, ttl=5, clock=clock)
    c.put("a", 1)
    clock.now = 6
    assert "a" not in c


def test_evict_prefers_expired():
    clock = Clock()
    c = LRUCache(2, ttl=5, clock=clock)
    c.put("old", 1)
    clock.now = 3
    c.put("new", 2)
    c.get("old")
    clock.now = 6
    c.put("x", 3)
    assert sorted(c.keys()) == ["new", "x"]
    assert c.evictions == 0


def test_pop():
    c = LRUCache(2)
    c.put("a", 1)
    assert c.pop("a") == 1
    assert len(c) == 0


def test_pop_missing():
    with pytest.raises(KeyError):
        LRUCache(2).pop("a")


def test_resize_smaller_drops_oldest():
    c = LRUCache(3)
    for k in "abc":
        c.put(k, k)
    c.resize(1)
    assert c.keys() == ["c"]


def test_resize_rejects_zero():
    with pytest.raises(ValueError):
        LRUCache(3).resize(0)
