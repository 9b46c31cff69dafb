import pytest

from semver import Version


def v(text):
    return Version.parse(text)


def test_parse_core():
    assert (v("1.2.3").major, v("1.2.3").minor, v("1.2.3").patch) == (1, 2, 3)


def test_parse_leading_v():
    assert str(v("v1.0.0")) == "1.0.0"


def test_parse_prerelease_and_build():
    version = v("1.0.0-alpha.1+exp.sha")
    assert version.prerelease == ("alpha", "1")
    assert version.build == ("exp", "sha")


def test_parse_rejects_two_parts():
    with pytest.raises(ValueError):
        v("1.2")


def test_negative_rejected():
    with pytest.raises(ValueError):
        Version(1, -1, 0)


def test_str_round_trip():
    assert str(v("2.0.0-rc.1+b5")) == "2.0.0-rc.1+b5"


def test_patch_order():
    assert v("1.0.1") > v("1.0.0")


def test_minor_beats_patch():
    assert v("1.1.0") > v("1.0.9")


def test_major_order():
    assert v("2.0.0") > v("1.99.99")


def test_numeric_not_lexical():
    assert v("1.10.0") > v("1.9.0")


def test_prerelease_before_release():
    assert v("1.0.0-alpha") < v("1.0.0")


def test_release_after_prerelease():
    assert v("1.0.0") > v("1.0.0-rc.1")


def test_prerelease_numeric_identifiers():
    assert v("1.0.0-alpha.2") < v("1.0.0-alpha.10")


def test_numeric_before_alpha_identifier():
    assert v("1.0.0-1") < v("1.0.0-alpha")


def test_longer_prerelease_later():
    assert v("1.0.0-alpha") < v("1.0.0-alpha.1")


def test_spec_order():
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"]
    assert sorted(order, key=Version.parse) == order


def test_build_ignored_in_equality():
    assert v("1.0.0+a") == v("1.0.0+b")


def test_bump_major():
    assert str(v("1.2.3").bump("major")) == "2.0.0"


def test_bump_minor():
    assert str(v("1.2.3").bump("minor")) == "1.3.0"


def test_bump_patch():
    assert str(v("1.2.3").bump("patch")) == "1.2.4"


def test_bump_patch_of_prerelease():
    assert str(v("1.2.3-rc.1").bump("patch")) == "1.2.3"


def test_bump_unknown():
    with pytest.raises(ValueError):
        v("1.0.0").bump("micro")
