import pytest

from iniconf import Config

TEXT = """
retries = 3
[server]
host = example.org
port = 8080
url = http://${host}:${port}/
debug = yes
[client]
server = ${server:url}api
tags = a, b,
  c
flag = maybe
loop = ${loop}
"""


def cfg():
    return Config.from_text(TEXT)


def test_sections():
    assert cfg().sections() == ["client", "server"]


def test_get_plain():
    assert cfg().get("server", "host") == "example.org"


def test_get_case_insensitive_key():
    assert cfg().get("server", "HOST") == "example.org"


def test_interpolation_same_section():
    assert cfg().get("server", "url") == "http://example.org:8080/"


def test_interpolation_other_section():
    assert cfg().get("client", "server") == "http://example.org:8080/api"


def test_default_visible_everywhere():
    assert cfg().get("client", "retries") == "3"


def test_missing_key_raises():
    with pytest.raises(KeyError):
        cfg().get("server", "nope")


def test_missing_key_fallback():
    assert cfg().get("server", "nope", "x") == "x"


def test_missing_section_raises():
    with pytest.raises(KeyError):
        cfg().raw("nowhere", "host")


def test_has():
    c = cfg()
    assert c.has("server", "port")
    assert c.has("server", "retries")
    assert not c.has("server", "tags")


def test_get_int():
    assert cfg().get_int("server", "port") == 8080


def test_get_int_fallback():
    assert cfg().get_int("server", "timeout", 30) == 30


def test_get_int_bad():
    with pytest.raises(ValueError):
        cfg().get_int("server", "host")


def test_get_bool_true():
    assert cfg().get_bool("server", "debug") is True


def test_get_bool_fallback_false():
    assert cfg().get_bool("server", "verbose", False) is False


def test_get_bool_bad():
    with pytest.raises(ValueError):
        cfg().get_bool("client", "flag")


def test_get_list():
    assert cfg().get_list("client", "tags") == ["a", "b", "c"]


def test_recursive_reference_stops():
    with pytest.raises(ValueError):
        cfg().get("client", "loop")


def test_section_dict():
    assert cfg().section("server") == {
        "debug": "yes",
        "host": "example.org",
        "port": "8080",
        "retries": "3",
        "url": "http://example.org:8080/",
    }
