"""Numbers read from hostile text: conversions that never raise and refuse what no setting needs.

Python's own conversions fail on input an attacker writes: `int()` of more than 4,300 digits raises
ValueError (and costs time in the square of the length below that), `str()` of such an int raises too,
`int(float("1e999"))` raises OverflowError, `"²".isdigit()` is true but `int("²")` raises, and `nan`
compares unequal to everything. Parsers convert through these helpers, so a number is a sane int or finite
float, or it is absent (and the text stays text).
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

# No count, port, size, timeout or pool has more digits; a longer run of digits is kept as text.
MAX_DIGITS = 40
_LARGEST = 10**MAX_DIGITS
_DIGITS = frozenset("0123456789")


def digits(text: str) -> int | None:
    """The value of a run of ASCII digits (`"5432"`), else None (signs, spaces, `"²"`, `"٣"`, too many)."""
    if not text or len(text) > MAX_DIGITS or not _DIGITS.issuperset(text):
        return None
    return int(text)


def integer(text: str) -> int | None:
    """`digits` with an optional sign and surrounding blanks (`" -3 "`), else None."""
    text = text.strip()
    if text[:1] in ("+", "-"):
        value = digits(text[1:])
        return None if value is None else (-value if text[0] == "-" else value)
    return digits(text)


def real(text: str) -> float | None:
    """A finite float from text (`"1.5"`, `"1e3"`, `" 2 "`), else None (`"inf"`, `"nan"`, `"1e999"`, junk)."""
    text = text.strip()
    if not text or len(text) > 2 * MAX_DIGITS:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def int_value(value: Any) -> int | None:
    """An int from a parsed value: an int of sane size, an integral finite float, or `integer` text; bools and
    everything else are None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -_LARGEST < value < _LARGEST else None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() and abs(value) < _LARGEST else None
    if isinstance(value, str):
        return integer(value)
    return None


def float_value(value: Any) -> float | None:
    """A finite float from a parsed value (int, float or `real` text); bools and everything else are None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if -_LARGEST < value < _LARGEST else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return real(value)
    return None


def is_huge(value: Any) -> TypeGuard[int]:
    """An int (not a bool) of more than MAX_DIGITS digits: `str()`, `repr()` and JSON of one that is long enough
    raise, so none reaches attributes, settings or messages (yaml_source.py writes them as their number_text)."""
    return isinstance(value, int) and not isinstance(value, bool) and not -_LARGEST < value < _LARGEST


def number_text(value: int | float) -> str:
    """`str(value)` that cannot raise: an int too long for decimal text is written in hexadecimal."""
    if is_huge(value):
        return hex(value)
    return str(value)


_TRUE = frozenset({"true", "yes", "on", "1", "enabled", "enable", "y", "t"})
_FALSE = frozenset({"false", "no", "off", "0", "disabled", "disable", "n", "f", "none", "null", "never", "noop"})


def boolean(value: Any) -> bool | None:
    """A switch's value as configuration writes it (`true`, `"yes"`, `1`, `'off'`, `disabled`); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().strip("'\"").lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    return None
