"""A decorator that caches a function's results by its positional arguments."""
import functools

from .cache import LRUCache


def memoize(capacity=128):
    def decorate(func):
        cache = LRUCache(capacity)
        missing = object()

        @functools.wraps(func)
        def wrapper(*args):
            result = cache.get(args, missing)
            if result is missing:
                result = func(*args)
                cache.put(args, result)
            return result

        wrapper.cache = cache
        return wrapper

    return decorate
