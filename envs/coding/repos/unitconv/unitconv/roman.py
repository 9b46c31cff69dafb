"""Roman numerals from 1 to 3999, strict about the canonical form."""

_VALUES = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"),
    (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
    (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
]
_SYMBOLS = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def to_roman(number):
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError("roman numerals are for integers")
    if number < 1 or number > 3999:
        raise ValueError(f"{number} is out of range 1..3999")
    out = []
    for value, symbol in _VALUES:
        while number >= value:
            out.append(symbol)
            number -= value
    return "".join(out)


def from_roman(text):
    text = text.strip().upper()
    if not text:
        raise ValueError("empty numeral")
    total = 0
    for i, ch in enumerate(text):
        if ch not in _SYMBOLS:
            raise ValueError(f"not a roman digit: {ch!r}")
        value = _SYMBOLS[ch]
        if i + 1 < len(text) and value < _SYMBOLS.get(text[i + 1], 0):
            total -= value
        else:
            total += value
    # only the canonical spelling is accepted (no IIII, no IC)
    if to_roman(total) != text:
        raise ValueError(f"not a canonical numeral: {text}")
    return total
