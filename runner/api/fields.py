"""Scalar fields of panel answers: ids, counts, money, flags and text, checked and bounded.

Panel answers are untrusted: every number is checked against bounds before it is turned
into an int (``int(Decimal("1e999999"))`` builds a million-digit integer: seconds of CPU),
and nothing here raises anything but ``ParseError``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


class ParseError(ValueError):
    """A value of a panel response does not have the documented shape."""


ID_MAX = 2**63 - 1
COUNT_MAX = 10**12
MONEY_MAX = Decimal(10**9)
MONEY_PLACES = 18  # more decimal places than this is not money
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
_NOT_FINITE = re.compile(r"[+-]?(nan|snan|inf|infinity)", re.ASCII | re.IGNORECASE)
_TEXT_MAX = 100  # no number needs more characters than this


def _show(value: object) -> str:
    """A short, safe picture of a value for a message."""
    if isinstance(value, str):
        return repr(value[:40]) + ("..." if len(value) > 40 else "")
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return repr(value) if abs(value) < 10**40 else "a huge integer"
    if isinstance(value, Decimal):
        shown = str(value)
        return shown if len(shown) <= 40 else f"{value:.6e}"
    return f"a {type(value).__name__}"


# The amounts already read, each kept once: a large state's answers repeat a few charges
# (the same service and quantity) thousands of times.  Decimals are immutable.
_AMOUNTS: dict[str, Decimal] = {}
_AMOUNTS_MAX = 4096


def _decimal(text: str) -> Decimal:
    value = _AMOUNTS.get(text)
    if value is None:
        value = Decimal(text)
        if len(_AMOUNTS) < _AMOUNTS_MAX:
            _AMOUNTS[text] = value
    return value


def _number(value: object, what: str) -> int | Decimal:
    """An int or a finite Decimal, from the shapes panels send; bounded in length."""
    if isinstance(value, bool):
        raise ParseError(f"{what}: expected a number, got {_show(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _TEXT_MAX:
            raise ParseError(f"{what}: expected a number, got {_show(value)}")
        if _DIGITS.fullmatch(text):
            return int(text)
        if _NOT_FINITE.fullmatch(text):
            raise ParseError(f"{what}: not a finite number ({_show(value)})")
        if not _NUMBER.fullmatch(text):
            raise ParseError(f"{what}: expected a number, got {_show(value)}")
        value = _decimal(text)
    if not isinstance(value, Decimal):
        raise ParseError(f"{what}: expected a number, got {_show(value)}")
    if not value.is_finite():
        raise ParseError(f"{what}: not a finite number ({_show(value)})")
    if len(str(value)) > _TEXT_MAX:
        raise ParseError(f"{what}: a number with too many digits")
    if value.is_zero():
        return value if -_TEXT_MAX <= value.adjusted() <= _TEXT_MAX else Decimal(0)
    # adjusted() reads the exponent without arithmetic: 1E+999999999 overflows any other way
    if not -_TEXT_MAX <= value.adjusted() <= _TEXT_MAX:
        raise ParseError(f"{what}: {_show(value)} is out of range")
    return value


def parse_id(value: object, what: str) -> int:
    """An id: a positive integer within 64 bits, as a JSON integer or a string of digits
    (never a float, a boolean, an exponent or a sign)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(text := value.strip()):
        digits = text.lstrip("0")
        if len(digits) > 19:
            raise ParseError(f"{what}: {_show(value)} is beyond 64 bits")
        number = int(digits or "0")
    else:
        raise ParseError(f"{what}: expected a positive integer, got {_show(value)}")
    if not 1 <= number <= ID_MAX:
        raise ParseError(f"{what}: {_show(number)} is not a positive 64-bit integer")
    return number


def parse_count(value: object, what: str, low: int = 0, high: int = COUNT_MAX) -> int:
    """A whole number within ``low..high`` (``"50"``, ``50`` and ``"50.00"`` alike)."""
    number = _number(value, what)
    if not low <= number <= high:
        raise ParseError(f"{what}: {_show(number)} is out of range {low}..{high}")
    if isinstance(number, Decimal):
        if number != number.to_integral_value():
            raise ParseError(f"{what}: expected a whole number, got {_show(number)}")
        number = int(number)
    return number


def parse_optional_count(value: object, what: str, low: int = 0) -> int | None:
    """A count that panels sometimes leave empty, null or "Unknown" (then None); a number
    out of bounds is still an error."""
    if value is None or (isinstance(value, str) and not _looks_numeric(value)):
        return None
    return parse_count(value, what, low)


def _looks_numeric(text: str) -> bool:
    text = text.strip()
    return bool(text) and (
        bool(_NUMBER.fullmatch(text[: _TEXT_MAX + 1])) or bool(_NOT_FINITE.fullmatch(text))
    )


def parse_money(value: object, what: str, *, negative: bool = False) -> Decimal:
    """An amount: a finite decimal, |x| <= 10^9, at most 18 places; >= 0 unless
    ``negative`` (a balance may be below zero)."""
    number = _number(value, what)
    amount = Decimal(number) if isinstance(number, int) else number
    if abs(amount) > MONEY_MAX:
        raise ParseError(f"{what}: {_show(amount)} is out of range (at most {MONEY_MAX})")
    if amount.is_zero():
        return amount.copy_abs()  # -0 is 0
    if amount < 0 and not negative:
        raise ParseError(f"{what}: {_show(amount)} is negative")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_PLACES:
        raise ParseError(f"{what}: {_show(amount)} has more than {MONEY_PLACES} decimal places")
    return amount


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return False


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def text(value: object, limit: int = 300) -> str:
    """A panel's text made safe to show: one line, no control characters, bounded."""
    if value is None:
        return ""
    if isinstance(value, str):
        result = value[: limit * 4]
    elif isinstance(value, bool | int | Decimal):
        result = _show(value)
    else:
        result = repr(value)[: limit * 4]
    result = " ".join(_CONTROL.sub(" ", result).split())
    result = result if len(result) <= limit else result[: limit - 3] + "..."
    # Short words (a status, a currency) come back thousands of times: keep each once.
    return sys.intern(result) if len(result) <= 20 else result


def error_text(data: object) -> str | None:
    """The message of a truthy ``error`` field (``null``, ``""``, ``false``, ``0``, ``[]``
    are no error at all); None when there is none."""
    if not isinstance(data, Mapping) or "error" not in data:
        return None
    error = data["error"]
    if isinstance(error, str):
        error = error.strip()
    if error is None or error is False or not error:
        return None
    return text(error) or "(an error without a message)"


def parse_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(f"{what}: expected an object, got {type(value).__name__}")
    return value
