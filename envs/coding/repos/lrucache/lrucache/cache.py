"""An LRU cache with a capacity, optional per-entry time-to-live, and hit/miss statistics."""
from .linked import LinkedList, Node


class LRUCache:
    def __init__(self, capacity, ttl=None, clock=None):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if ttl is not None and ttl <= 0:
            raise ValueError("ttl must be positive")
        self.capacity = capacity
        self.ttl = ttl
        self.clock = clock or (lambda: 0)
        self._nodes = {}
        self._order = LinkedList()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def __len__(self):
        return len(self._nodes)

    def _expired(self, node):
        return node.expires is not None and self.clock() >= node.expires

    def __contains__(self, key):
        node = self._nodes.get(key)
        return node is not None and not self._expired(node)

    def get(self, key, default=None):
        node = self._nodes.get(key)
        if node is None:
            self.misses += 1
            return default
        if self._expired(node):
            self._drop(node)
            self.misses += 1
            return default
        self._order.move_front(node)
        self.hits += 1
        return node.value

    def put(self, key, value):
        expires = None if self.ttl is None else self.clock() + self.ttl
        node = self._nodes.get(key)
        if node is not None:
            node.value = value
            node.expires = expires
            self._order.move_front(node)
            return
        if len(self._nodes) >= self.capacity:
            self._evict()
        node = Node(key, value, expires)
        self._nodes[key] = node
        self._order.push_front(node)

    def _drop(self, node):
        self._order.unlink(node)
        del self._nodes[node.key]

    def _evict(self):
        """Drop expired entries first; if none, the least recently used one."""
        expired = [n for n in self._nodes.values() if self._expired(n)]
        if expired:
            for node in expired:
                self._drop(node)
            return
        victim = self._order.last()
        if victim is not None:
            self._drop(victim)
            self.evictions += 1

    def pop(self, key):
        node = self._nodes.get(key)
        if node is None:
            raise KeyError(key)
        self._drop(node)
        return node.value

    def keys(self):
        """Keys from most to least recently used."""
        return self._order.keys()

    def resize(self, capacity):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        while len(self._nodes) > capacity:
            self._drop(self._order.last())
            self.evictions += 1

    def hit_rate(self):
        total = self.hits + self.misses
        if total == 0:
            return 0.0
        return self.hits / total
