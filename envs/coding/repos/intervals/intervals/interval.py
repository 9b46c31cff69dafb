"""A half-open interval [start, end) over integers."""


class Interval:
    __slots__ = ("start", "end")

    def __init__(self, start, end):
        if not isinstance(start, int) or not isinstance(end, int):
            raise TypeError("interval bounds must be integers")
        if start > end:
            raise ValueError(f"start {start} is after end {end}")
        self.start = start
        self.end = end

    def __repr__(self):
        return f"Interval({self.start}, {self.end})"

    def __eq__(self, other):
        if not isinstance(other, Interval):
            return NotImplemented
        return self.start == other.start and self.end == other.end

    def __hash__(self):
        return hash((self.start, self.end))

    def __len__(self):
        return self.end - self.start

    def is_empty(self):
        return self.start == self.end

    def contains(self, point):
        """True when point lies inside; the end is excluded."""
        return self.start <= point < self.end

    def overlaps(self, other):
        """True when the two share at least one point."""
        if self.is_empty() or other.is_empty():
            return False
        return self.start < other.end and other.start < self.end

    def touches(self, other):
        """True when the two overlap or meet end to start, so they merge into one."""
        return self.start <= other.end and other.start <= self.end

    def intersection(self, other):
        start = max(self.start, other.start)
        end = min(self.end, other.end)
        if start >= end:
            return None
        return Interval(start, end)

    def hull(self, other):
        """The smallest interval covering both."""
        return Interval(min(self.start, other.start), max(self.end, other.end))

    def shift(self, offset):
        return Interval(self.start + offset, self.end + offset)

    def split(self, point):
        """Split at point into (left, right); a point outside gives the interval and None."""
        if point <= self.start or point >= self.end:
            return self, None
        return Interval(self.start, point), Interval(point, self.end)
