"""Parses INI text into {section: {key: raw value}}.

Rules: `[section]` headers; `key = value` or `key: value`; `#` and `;` start comment lines;
an indented line continues the previous value; keys before any header go to "DEFAULT".
"""

DEFAULT = "DEFAULT"


class ParseError(ValueError):
    def __init__(self, line_number, message):
        super().__init__(f"line {line_number}: {message}")
        self.line_number = line_number


def _split_pair(line):
    positions = [p for p in (line.find("="), line.find(":")) if p >= 0]
    if not positions:
        return None
    at = min(positions)
    return line[:at].strip(), line[at + 1 :].strip()


def parse(text):
    sections = {DEFAULT: {}}
    current = DEFAULT
    last_key = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[0] in " \t" and last_key is not None:
            sections[current][last_key] += "\n" + stripped
            continue
        if stripped.startswith("["):
            if not stripped.endswith("]"):
                raise ParseError(number, "unclosed section header")
            name = stripped[1:-1].strip()
            if not name:
                raise ParseError(number, "empty section name")
            if name in sections and name != DEFAULT:
                raise ParseError(number, f"duplicate section {name}")
            sections.setdefault(name, {})
            current = name
            last_key = None
            continue
        pair = _split_pair(stripped)
        if pair is None:
            raise ParseError(number, f"expected key = value, got {stripped!r}")
        key, value = pair
        if not key:
            raise ParseError(number, "empty key")
        key = key.lower()
        sections[current][key] = value
        last_key = key
    return sections
