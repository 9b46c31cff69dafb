"""A set of integers stored as sorted, disjoint, non-touching intervals."""
from .interval import Interval


def _coerce(value):
    if isinstance(value, Interval):
        return value
    start, end = value
    return Interval(start, end)


class IntervalSet:
    def __init__(self, intervals=()):
        self._items = []
        for item in intervals:
            self.add(item)

    def __repr__(self):
        return f"IntervalSet({self.as_tuples()})"

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        """Number of disjoint intervals (not points)."""
        return len(self._items)

    def __contains__(self, point):
        lo, hi = 0, len(self._items) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            item = self._items[mid]
            if point < item.start:
                hi = mid - 1
            elif point >= item.end:
                lo = mid + 1
            else:
                return True
        return False

    def as_tuples(self):
        return [(i.start, i.end) for i in self._items]

    def total_length(self):
        return sum(len(i) for i in self._items)

    def add(self, value):
        new = _coerce(value)
        if new.is_empty():
            return self
        merged = []
        placed = False
        for item in self._items:
            if item.touches(new):
                new = new.hull(item)
            elif item.end < new.start:
                merged.append(item)
            else:
                if not placed:
                    merged.append(new)
                    placed = True
                merged.append(item)
        if not placed:
            merged.append(new)
        self._items = merged
        return self

    def remove(self, value):
        cut = _coerce(value)
        if cut.is_empty():
            return self
        kept = []
        for item in self._items:
            if not item.overlaps(cut):
                kept.append(item)
                continue
            if item.start < cut.start:
                kept.append(Interval(item.start, cut.start))
            if cut.end < item.end:
                kept.append(Interval(cut.end, item.end))
        self._items = kept
        return self

    def union(self, other):
        result = IntervalSet(self._items)
        for item in other:
            result.add(item)
        return result

    def intersection(self, other):
        result = IntervalSet()
        mine, theirs = list(self), list(other)
        i = j = 0
        while i < len(mine) and j < len(theirs):
            common = mine[i].intersection(theirs[j])
            if common is not None:
                result.add(common)
            if mine[i].end < theirs[j].end:
                i += 1
            else:
                j += 1
        return result

    def difference(self, other):
        result = IntervalSet(self._items)
        for item in other:
            result.remove(item)
        return result

    def gaps(self, within=None):
        """The intervals between members, optionally clipped to `within`."""
        out = []
        for left, right in zip(self._items, self._items[1:]):
            out.append(Interval(left.end, right.start))
        if within is not None:
            bounds = _coerce(within)
            clipped = []
            if self._items and bounds.start < self._items[0].start:
                clipped.append(Interval(bounds.start, min(bounds.end, self._items[0].start)))
            for gap in out:
                common = gap.intersection(bounds)
                if common is not None:
                    clipped.append(common)
            if self._items and self._items[-1].end < bounds.end:
                clipped.append(Interval(max(bounds.start, self._items[-1].end), bounds.end))
            if not self._items:
                clipped.append(bounds)
            out = clipped
        return [(g.start, g.end) for g in out]

    def first_fit(self, length, within):
        """Start of the first gap inside `within` that holds `length` points, or None."""
        if length <= 0:
            raise ValueError("length must be positive")
        for start, end in self.gaps(within):
            if end - start >= length:
                return start
        return None
