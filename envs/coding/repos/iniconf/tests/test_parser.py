import pytest

from iniconf import ParseError, parse


def test_sections_and_keys():
    assert parse("[a]\nx = 1\n[b]\ny = 2\n") == {"DEFAULT": {}, "a": {"x": "1"}, "b": {"y": "2"}}


def test_colon_separator():
    assert parse("[a]\nx: 1")["a"] == {"x": "1"}


def test_first_separator_wins():
    assert parse("[a]\nurl = http://host")["a"]["url"] == "http://host"


def test_colon_before_equals():
    assert parse("[a]\nk: v=w")["a"]["k"] == "v=w"


def test_keys_lowercased():
    assert parse("[a]\nName = x")["a"] == {"name": "x"}


def test_comments_skipped():
    assert parse("# top\n[a]\n; note\nx = 1")["a"] == {"x": "1"}


def test_blank_lines_skipped():
    assert parse("\n\n[a]\n\nx = 1\n")["a"] == {"x": "1"}


def test_default_section():
    assert parse("x = 1\n[a]\n")["DEFAULT"] == {"x": "1"}


def test_continuation_line():
    assert parse("[a]\nx = one\n  two\n")["a"]["x"] == "one\ntwo"


def test_empty_value():
    assert parse("[a]\nx =")["a"]["x"] == ""


def test_unclosed_header():
    with pytest.raises(ParseError):
        parse("[a\nx = 1")


def test_empty_section_name():
    with pytest.raises(ParseError):
        parse("[ ]")


def test_duplicate_section():
    with pytest.raises(ParseError):
        parse("[a]\n[a]\n")


def test_missing_separator_names_line():
    with pytest.raises(ParseError) as info:
        parse("[a]\nx = 1\noops\n")
    assert info.value.line_number == 3


def test_empty_key():
    with pytest.raises(ParseError):
        parse("[a]\n= 1")
