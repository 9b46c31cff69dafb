"""Min-heap keyed by (priority, insertion order): equal priorities come out first-in first-out."""


class PriorityQueue:
    def __init__(self):
        self._heap = []  # entries: [priority, seq, item]
        self._where = {}  # item -> index in _heap
        self._seq = 0

    def __len__(self):
        return len(self._heap)

    def __bool__(self):
        return len(self._heap) > 0

    def __contains__(self, item):
        return item in self._where

    def _less(self, i, j):
        a, b = self._heap[i], self._heap[j]
        if a[0] != b[0]:
            return a[0] < b[0]
        return a[1] < b[1]

    def _swap(self, i, j):
        heap = self._heap
        heap[i], heap[j] = heap[j], heap[i]
        self._where[heap[i][2]] = i
        self._where[heap[j][2]] = j

    def _up(self, i):
        while i > 0:
            parent = (i - 1) // 2
            if not self._less(i, parent):
                break
            self._swap(i, parent)
            i = parent

    def _down(self, i):
        n = len(self._heap)
        while True:
            left = 2 * i + 1
            right = left + 1
            smallest = i
            if left < n and self._less(left, smallest):
                smallest = left
            if right < n and self._less(right, smallest):
                smallest = right
            if smallest == i:
                return
            self._swap(i, smallest)
            i = smallest

    def push(self, item, priority):
        if item in self._where:
            raise KeyError(f"{item!r} is already queued")
        self._heap.append([priority, self._seq, item])
        self._seq += 1
        self._where[item] = len(self._heap) - 1
        self._up(len(self._heap) - 1)

    def peek(self):
        if not self._heap:
            raise IndexError("peek from an empty queue")
        return self._heap[0][2]

    def pop(self):
        if not self._heap:
            raise IndexError("pop from an empty queue")
        self._swap(0, len(self._heap) - 1)
        priority, _, item = self._heap.pop()
        del self._where[item]
        if self._heap:
            self._down(0)
        return item, priority

    def priority(self, item):
        return self._heap[self._where[item]][0]

    def update(self, item, priority):
        """Change an item's priority, moving it up or down as needed."""
        index = self._where[item]
        old = self._heap[index][0]
        self._heap[index][0] = priority
        if priority < old:
            self._up(index)
        elif priority > old:
            self._down(index)

    def remove(self, item):
        index = self._where[item]
        last = len(self._heap) - 1
        if index != last:
            self._swap(index, last)
        self._heap.pop()
        del self._where[item]
        if index < len(self._heap):
            self._down(index)
            self._up(index)

    def drain(self):
        out = []
        while self._heap:
            out.append(self.pop()[0])
        return out

    def nsmallest(self, k):
        """The k first items in pop order, without removing them."""
        ordered = sorted(self._heap, key=lambda e: (e[0], e[1]))
        return [e[2] for e in ordered[:k]]
