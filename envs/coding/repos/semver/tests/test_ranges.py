import pytest

from semver import Range, max_satisfying


def test_exact():
    assert Range("1.2.3").matches("1.2.3")
    assert not Range("1.2.3").matches("1.2.4")


def test_greater_equal():
    assert Range(">=1.2.0").matches("1.2.0")


def test_greater_strict():
    assert not Range(">1.2.0").matches("1.2.0")


def test_less_strict():
    assert not Range("<2.0.0").matches("2.0.0")


def test_less_equal():
    assert Range("<=2.0.0").matches("2.0.0")


def test_and_of_comparators():
    r = Range(">=1.0.0 <1.5.0")
    assert r.matches("1.4.9")
    assert not r.matches("1.5.0")


def test_or_of_sets():
    r = Range("<1.0.0 || >=2.0.0")
    assert r.matches("0.9.0")
    assert r.matches("2.1.0")
    assert not r.matches("1.5.0")


def test_caret_major():
    r = Range("^1.2.3")
    assert r.matches("1.9.0")
    assert not r.matches("2.0.0")
    assert not r.matches("1.2.2")


def test_caret_zero_major():
    r = Range("^0.2.3")
    assert r.matches("0.2.9")
    assert not r.matches("0.3.0")


def test_caret_zero_minor():
    r = Range("^0.0.3")
    assert r.matches("0.0.3")
    assert not r.matches("0.0.4")


def test_tilde():
    r = Range("~1.2.3")
    assert r.matches("1.2.9")
    assert not r.matches("1.3.0")


def test_prerelease_excluded_by_default():
    assert not Range(">=1.0.0").matches("1.1.0-beta")


def test_prerelease_allowed_on_same_core():
    assert Range(">=1.1.0-alpha").matches("1.1.0-beta")


def test_empty_alternative():
    with pytest.raises(ValueError):
        Range("1.0.0 ||")


def test_max_satisfying():
    assert max_satisfying(["1.2.3", "1.4.0", "2.0.0", "1.3.5"], "^1.2.0") == "1.4.0"


def test_max_satisfying_none():
    assert max_satisfying(["1.0.0"], ">=2.0.0") is None
