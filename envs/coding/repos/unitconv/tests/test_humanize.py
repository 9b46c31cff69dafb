import pytest

from unitconv import format_duration, format_size, parse_size


def test_bytes():
    assert format_size(512) == "512 B"


def test_just_below_kib():
    assert format_size(1023) == "1023 B"


def test_exactly_kib():
    assert format_size(1024) == "1.0 KiB"


def test_kib_fraction():
    assert format_size(1536) == "1.5 KiB"


def test_mib():
    assert format_size(5 * 1024 * 1024) == "5.0 MiB"


def test_caps_at_tib():
    assert format_size(2048 * 1024**4) == "2048.0 TiB"


def test_negative_size():
    with pytest.raises(ValueError):
        format_size(-1)


def test_parse_bare_bytes():
    assert parse_size("77") == 77


def test_parse_kib():
    assert parse_size("1.5 KiB") == 1536


def test_parse_gib():
    assert parse_size("2 GiB") == 2 * 1024**3


def test_parse_unknown_unit():
    with pytest.raises(ValueError):
        parse_size("3 KB")


def test_duration_zero():
    assert format_duration(0) == "0s"


def test_duration_seconds():
    assert format_duration(59) == "59s"


def test_duration_mixed():
    assert format_duration(3725) == "1h 2m 5s"


def test_duration_skips_zero_parts():
    assert format_duration(86400 + 5) == "1d 5s"


def test_duration_negative():
    with pytest.raises(ValueError):
        format_duration(-1)
