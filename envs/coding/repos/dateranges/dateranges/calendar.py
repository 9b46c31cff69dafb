"""Calendar arithmetic: leap years, month lengths, adding months, business days."""
from datetime import date, timedelta

_MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def is_leap_year(year):
    if year % 400 == 0:
        return True
    if year % 100 == 0:
        return False
    return year % 4 == 0


def days_in_month(year, month):
    if month < 1 or month > 12:
        raise ValueError(f"no month {month}")
    if month == 2 and is_leap_year(year):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(day, months):
    """Same day-of-month `months` later, clamped to the month's last day (Jan 31 + 1 -> Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, days_in_month(year, month)))


def is_business_day(day, holidays=()):
    return day.weekday() < 5 and day not in holidays


def add_business_days(day, count, holidays=()):
    """The date `count` business days after `day` (before it when negative); day itself never counts."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    current = day
    while remaining > 0:
        current += timedelta(days=step)
        if is_business_day(current, holidays):
            remaining -= 1
    return current


def business_days_between(start, end, holidays=()):
    """Business days in [start, end); negative when end is before start."""
    if end < start:
        return -business_days_between(end, start, holidays)
    count = 0
    current = start
    while current < end:
        if is_business_day(current, holidays):
            count += 1
        current += timedelta(days=1)
    return count
