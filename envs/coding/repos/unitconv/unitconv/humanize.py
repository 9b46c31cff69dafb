"""Human-readable byte sizes and durations, and parsing sizes back."""

_SIZE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]


def format_size(size):
    """1536 -> "1.5 KiB"; whole bytes below 1024; one decimal above."""
    if size < 0:
        raise ValueError("size cannot be negative")
    if size < 1024:
        return f"{size} B"
    value = float(size)
    unit = 0
    while value >= 1024 and unit < len(_SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{value:.1f} {_SIZE_UNITS[unit]}"


def parse_size(text):
    """"1.5 KiB" -> 1536 (rounded down to whole bytes); a bare number is bytes."""
    parts = text.split()
    if len(parts) == 1:
        return int(parts[0])
    if len(parts) != 2:
        raise ValueError(f"not a size: {text!r}")
    number, unit = parts
    if unit not in _SIZE_UNITS:
        raise ValueError(f"unknown size unit {unit!r}")
    return int(float(number) * 1024 ** _SIZE_UNITS.index(unit))


def format_duration(seconds):
    """3725 -> "1h 2m 5s"; zero parts are left out; 0 -> "0s"."""
    if seconds < 0:
        raise ValueError("duration cannot be negative")
    if seconds == 0:
        return "0s"
    parts = []
    for name, length in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, length)
        if amount > 0:
            parts.append(f"{amount}{name}")
    return " ".join(parts)
