"""Converts between units of one dimension; temperatures are affine, the rest are factors."""

LENGTH = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "in": 0.0254, "ft": 0.3048, "mi": 1609.344}
MASS = {"g": 0.001, "kg": 1.0, "lb": 0.45359237, "oz": 0.028349523125}
TIME = {"s": 1.0, "min": 60.0, "h": 3600.0, "day": 86400.0}
DIMENSIONS = {"length": LENGTH, "mass": MASS, "time": TIME}
TEMPERATURES = ("C", "F", "K")


def dimension_of(unit):
    if unit in TEMPERATURES:
        return "temperature"
    for name, table in DIMENSIONS.items():
        if unit in table:
            return name
    raise KeyError(f"unknown unit {unit!r}")


def _to_kelvin(value, unit):
    if unit == "K":
        return value
    if unit == "C":
        return value + 273.15
    return (value - 32) * 5 / 9 + 273.15


def _from_kelvin(value, unit):
    if unit == "K":
        return value
    if unit == "C":
        return value - 273.15
    return (value - 273.15) * 9 / 5 + 32


def convert(value, source, target, digits=6):
    """value in `source` units expressed in `target` units, rounded to `digits` decimals."""
    kind = dimension_of(source)
    if dimension_of(target) != kind:
        raise ValueError(f"cannot convert {kind} ({source}) to {dimension_of(target)} ({target})")
    if kind == "temperature":
        kelvin = _to_kelvin(value, source)
        if kelvin < 0:
            raise ValueError("below absolute zero")
        result = _from_kelvin(kelvin, target)
    else:
        table = DIMENSIONS[kind]
        result = value * table[source] / table[target]
    return round(result, digits)
