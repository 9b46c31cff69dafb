"""Typed, interpolating access to parsed sections; DEFAULT values are visible in every section."""
import re

from .parser import DEFAULT, parse

_REFERENCE = re.compile(r"\$\{(?:([^:}]+):)?([^}]+)\}")
_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}
MAX_DEPTH = 10


class Config:
    def __init__(self, sections):
        self._sections = sections

    @classmethod
    def from_text(cls, text):
        return cls(parse(text))

    def sections(self):
        return sorted(name for name in self._sections if name != DEFAULT)

    def has(self, section, key):
        key = key.lower()
        return key in self._sections.get(section, {}) or key in self._sections[DEFAULT]

    def raw(self, section, key):
        key = key.lower()
        values = self._sections.get(section)
        if values is None:
            raise KeyError(f"no section {section}")
        if key in values:
            return values[key]
        if key in self._sections[DEFAULT]:
            return self._sections[DEFAULT][key]
        raise KeyError(f"no key {key} in section {section}")

    def get(self, section, key, fallback=None, _depth=0):
        """The value with ${key} (same section) and ${section:key} references expanded."""
        if _depth > MAX_DEPTH:
            raise ValueError(f"interpolation too deep at {section}:{key}")
        try:
            value = self.raw(section, key)
        except KeyError:
            if fallback is not None:
                return fallback
            raise

        def expand(match):
            ref_section = match.group(1) or section
            return self.get(ref_section, match.group(2), _depth=_depth + 1)

        return _REFERENCE.sub(expand, value)

    def get_int(self, section, key, fallback=None):
        value = self.get(section, key, None if fallback is None else str(fallback))
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{section}:{key} is not an integer: {value!r}") from None

    def get_bool(self, section, key, fallback=None):
        value = self.get(section, key, None if fallback is None else str(fallback).lower())
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{section}:{key} is not a boolean: {value!r}")

    def get_list(self, section, key, separator=","):
        """Items split on separator and newlines, stripped, empties dropped."""
        value = self.get(section, key)
        items = []
        for line in value.split("\n"):
            items.extend(part.strip() for part in line.split(separator))
        return [item for item in items if item]

    def section(self, name):
        """Every key of a section (with DEFAULT keys), expanded."""
        keys = set(self._sections[DEFAULT]) | set(self._sections.get(name, {}))
        return {key: self.get(name, key) for key in sorted(keys)}
