import pytest

from unitconv import convert
from unitconv.units import dimension_of


def test_km_to_m():
    assert convert(2, "km", "m") == 2000


def test_m_to_cm():
    assert convert(1.5, "m", "cm") == 150


def test_miles_to_km():
    assert convert(1, "mi", "km", digits=3) == 1.609


def test_feet_to_inches():
    assert convert(1, "ft", "in") == 12


def test_pounds_to_kg():
    assert convert(10, "lb", "kg", digits=2) == 4.54


def test_hours_to_minutes():
    assert convert(2, "h", "min") == 120


def test_celsius_to_fahrenheit():
    assert convert(100, "C", "F") == 212


def test_fahrenheit_to_celsius():
    assert convert(32, "F", "C") == 0


def test_kelvin_to_celsius():
    assert convert(0, "K", "C") == -273.15


def test_celsius_to_kelvin():
    assert convert(25, "C", "K") == 298.15


def test_below_absolute_zero():
    with pytest.raises(ValueError):
        convert(-300, "C", "K")


def test_mismatched_dimensions():
    with pytest.raises(ValueError):
        convert(1, "kg", "m")


def test_unknown_unit():
    with pytest.raises(KeyError):
        convert(1, "parsec", "m")


def test_dimension_of():
    assert dimension_of("oz") == "mass"
    assert dimension_of("F") == "temperature"
