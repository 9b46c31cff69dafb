from lrucache import memoize


def test_memoize_calls_once():
    calls = []

    @memoize()
    def square(x):
        calls.append(x)
        return x * x

    assert square(4) == 16
    assert square(4) == 16
    assert calls == [4]


def test_memoize_caches_none():
    calls = []

    @memoize()
    def nothing(x):
        calls.append(x)

    nothing(1)
    nothing(1)
    assert calls == [1]


def test_memoize_capacity():
    @memoize(capacity=2)
    def ident(x):
        return x

    for x in (1, 2, 3):
        ident(x)
    assert len(ident.cache) == 2


def test_memoize_keeps_name():
    @memoize()
    def named():
        return 1

    assert named.__name__ == "named"
