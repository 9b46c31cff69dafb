"""Amounts are integer cents; these convert to and from text like "-1,234.50"."""


def parse_amount(text):
    """Parse "12", "12.5", "12.50", "1,234.56" or "-3.07" into cents."""
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        raise ValueError("empty amount")
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    whole, _, fraction = cleaned.partition(".")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError(f"not an amount: {text!r}")
    if len(fraction) > 2:
        raise ValueError(f"more than two decimals: {text!r}")
    cents = int(whole) * 100 + int(fraction.ljust(2, "0") or "0")
    return -cents if negative else cents


def format_cents(cents):
    """Format cents as "1,234.50" (with a leading "-" when negative)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole, rest = divmod(cents, 100)
    groups = []
    digits = str(whole)
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return f"{sign}{','.join(groups)}.{rest:02d}"


def split_evenly(cents, parts):
    """Split cents into `parts` shares differing by at most one cent; larger shares first."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    share, remainder = divmod(cents, parts)
    return [share + 1 if i < remainder else share for i in range(parts)]
