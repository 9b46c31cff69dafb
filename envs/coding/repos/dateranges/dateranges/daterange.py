"""An inclusive range of dates, first..last."""
from datetime import date, timedelta

from .calendar import add_months, days_in_month, is_business_day


class DateRange:
    def __init__(self, first, last):
        if last < first:
            raise ValueError(f"range ends ({last}) before it starts ({first})")
        self.first = first
        self.last = last

    @classmethod
    def month(cls, year, month):
        return cls(date(year, month, 1), date(year, month, days_in_month(year, month)))

    def __repr__(self):
        return f"DateRange({self.first.isoformat()}, {self.last.isoformat()})"

    def __eq__(self, other):
        return isinstance(other, DateRange) and (self.first, self.last) == (other.first, other.last)

    def __len__(self):
        """Number of days, both ends included."""
        return (self.last - self.first).days + 1

    def __contains__(self, day):
        return self.first <= day <= self.last

    def __iter__(self):
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)

    def overlaps(self, other):
        return self.first <= other.last and other.first <= self.last

    def intersection(self, other):
        if not self.overlaps(other):
            return None
        return DateRange(max(self.first, other.first), min(self.last, other.last))

    def business_days(self, holidays=()):
        return sum(1 for day in self if is_business_day(day, holidays))

    def split_by_month(self):
        """Consecutive ranges, one per calendar month touched."""
        parts = []
        start = self.first
        while start <= self.last:
            month_end = date(start.year, start.month, days_in_month(start.year, start.month))
            end = min(month_end, self.last)
            parts.append(DateRange(start, end))
            start = end + timedelta(days=1)
        return parts

    def shift_months(self, months):
        return DateRange(add_months(self.first, months), add_months(self.last, months))

    def weeks(self):
        """Number of ISO weeks touched by the range."""
        seen = set()
        for day in self:
            seen.add(day.isocalendar()[:2])
        return len(seen)
