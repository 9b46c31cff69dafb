"""An INI-style configuration parser with typed getters and ${section:key} interpolation."""
from .config import Config
from .parser import ParseError, parse

__all__ = ["Config", "ParseError", "parse"]
