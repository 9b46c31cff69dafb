"""Inclusive date ranges, business-day arithmetic and month helpers."""
from .calendar import add_business_days, business_days_between, days_in_month, is_leap_year
from .daterange import DateRange

__all__ = ["DateRange", "add_business_days", "business_days_between", "days_in_month", "is_leap_year"]
