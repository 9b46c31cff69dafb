"""Caches: a least-recently-used cache with optional expiry, and a memoizing decorator."""
from .cache import LRUCache
from .memo import memoize

__all__ = ["LRUCache", "memoize"]
