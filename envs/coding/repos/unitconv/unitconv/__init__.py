"""Roman numerals, unit conversion and human-readable sizes and durations."""
from .humanize import format_duration, format_size, parse_size
from .roman import from_roman, to_roman
from .units import convert

__all__ = ["convert", "format_duration", "format_size", "from_roman", "parse_size", "to_roman"]
