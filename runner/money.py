"""Money is ``Decimal``: bounds, and how amounts are shown; and how any number written in
a file (a campaign, a CSV, a saved plan, the state) is read: plain decimals only, bounded
before conversion (``read_number``, ``read_integer``, ``json_int``).

Costs are computed per order type (``runner.api.ordertypes.price``); this module only
knows what an amount may be and how to print one, whatever its size.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# No rate, charge, balance or budget smm accepts is larger than this (in any currency).
MAX_AMOUNT = Decimal(10) ** 9


def parse_amount(value: object) -> Decimal | None:
    """An amount as smm wrote it (a string in the state, a saved plan or JSON), back as a
    ``Decimal``; ``None`` stays ``None``."""
    return None if value is None else Decimal(str(value))


def exact(amount: Decimal | None) -> str | None:
    """An amount for JSON: its exact decimal text (a program reads every digit)."""
    return None if amount is None else str(amount)


# Panels charge, refund and answer money rounded to 5 decimals, halves away from zero (the
# PHP panels' rule; the simulator's default).  Text shows every amount so, whatever it is
# (a plan's cost, a charge, a spend, a balance): plan, apply and status agree to the cent
# and beyond.  JSON keeps the exact value (``exact``).
# A project whose panels say how they round (``decimals:`` in smm.yaml) is shown so.
PANEL_DECIMALS = 5
_shown = {"step": Decimal(1).scaleb(-PANEL_DECIMALS)}


def show_decimals(decimals: int | None) -> None:
    """Show amounts with ``decimals`` places at most from now on (None: the default)."""
    places = PANEL_DECIMALS if decimals is None else max(2, min(int(decimals), 12))
    _shown["step"] = Decimal(1).scaleb(-places)


def format_amount(amount: Decimal | None) -> str:
    """At the panels' precision: at least two decimals, at most as many as the panels
    charge with (``show_decimals``; by default ``PANEL_DECIMALS``: 0.90, 0.012345 ->
    0.01235).  Never raises: an amount too large or too odd to format is shown as it is."""
    if amount is None:
        return "unbounded"
    try:
        if not amount.is_finite() or abs(amount.adjusted()) > 30:
            return str(amount)
        amount = amount.quantize(_shown["step"], rounding=ROUND_HALF_UP)
        if amount == amount.quantize(Decimal("0.01")):
            return f"{amount.quantize(Decimal('0.01')):f}"
        return f"{amount.normalize():f}"
    except (InvalidOperation, ValueError):
        return str(amount)


def charge_fits(
    charge: Decimal,
    cost: Decimal,
    *,
    refunded: bool,
    at_most: bool,
    slack: Decimal | None = None,
) -> bool:
    """Whether a panel's ``charge`` can be an order's ``cost``, allowing for its rounding.

    Panels round a charge to the decimals they answer with (one unit in the last place
    either way covers rounding up, down or to nearest); a partial or cancelled order was
    refunded (it may only be lower); ``at_most`` (a subscription priced at its worst case)
    may be anything up to the cost.  ``slack``: how far this panel's charges are known to
    stray from their costs (learnt from orders whose cost is known); else one unit in the
    last place the charge was written with."""
    if slack is None:
        exponent = charge.as_tuple().exponent
        slack = Decimal(1).scaleb(exponent) if isinstance(exponent, int) else Decimal("0.01")
    # However coarsely a panel writes its charges, a cent (or 1% of a larger cost) is all
    # the rounding that is believed: a charge written as "0" does not fit every cost.
    slack = min(max(slack, Decimal("0.00000001")), max(Decimal("0.01"), abs(cost) / 100))
    if charge > cost + slack:
        return False
    return refunded or at_most or charge >= cost - slack


# --- numbers written in files ---------------------------------------------------------
#
# A count or an amount in a campaign file, a CSV cell or a saved plan is written as a
# person writes a number: plain decimal digits, an optional minus, an optional fraction.
# YAML 1.1 reads other forms as numbers nobody meant (0100 is 64, 1:30 is 90), and
# Python's int() of a 5,000-digit text raises: both are refused here, with the number the
# writer probably meant, and the length is bounded before anything is converted.

MAX_DIGITS = 30  # no count, id or amount smm accepts needs more digits than this
_PLAIN_INT = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)
_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+", re.ASCII)
_BASES = {"0x": (16, "a hexadecimal"), "0o": (8, "an octal"), "0b": (2, "a binary")}
_SEXAGESIMAL = re.compile(r"[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?", re.ASCII)
_OCTAL = re.compile(r"0[0-7_]+", re.ASCII)
_DECIMALISH = re.compile(
    r"(?:[0-9][0-9_,]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?", re.ASCII
)


class NumberError(ValueError):
    """A number written in a form smm does not read; the message says what was probably
    meant.  (The caller adds where it was written.)"""


def read_number(text: str) -> int | Decimal:
    """A number as written in a file: an ``int`` for plain digits, a ``Decimal`` for
    digits with a fraction; any other form (octal, hexadecimal, base 60, ``_`` or ``,``
    separators, a ``+``, an exponent, ``.5``, ``5.``, leading zeros) or more than
    ``MAX_DIGITS`` digits is a ``NumberError`` naming the plain form meant."""
    digits = len(text) if len(text) <= MAX_DIGITS else sum(c.isdigit() for c in text)
    if digits > MAX_DIGITS:
        raise NumberError(f"a number of {digits} digits: smm reads at most {MAX_DIGITS}")
    if _PLAIN_INT.fullmatch(text):
        return int(text)
    if _PLAIN_DECIMAL.fullmatch(text):
        return Decimal(text)
    raise NumberError(_meant(text))


def read_integer(text: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number as written in a file (``read_number``), within ``low``..``high``."""
    value = read_number(text.strip())
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            raise NumberError(f"{text.strip()} is not a whole number: write {int(value)}")
        raise NumberError(f"{text.strip()} is not a whole number")
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"{'' if low is None else low}..{'' if high is None else high}"
        raise NumberError(f"{value} is out of range ({span})")
    return value


def json_int(text: str) -> int:
    """``json.loads(..., parse_int=json_int)``: a JSON integer, bounded before conversion
    (a 5,000-digit integer in a damaged file is a ``ValueError``, not a crash)."""
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise NumberError(f"an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def _meant(text: str) -> str:
    """Why ``text`` is not a plain number, and the plain form of what YAML 1.1 (or a
    person) would take it to be."""
    sign = "-" if text.startswith("-") else ""
    body = text[1:] if text[:1] in "+-" else text
    quoted = f", or '{text}' in quotes if it is text"
    prefix = body[:2].lower()
    if prefix in _BASES and len(body) > 2:
        base, name = _BASES[prefix]
        try:
            value = int(body[2:].replace("_", ""), base)
        except ValueError:
            return f"{text} is not a number{quoted}"
        return f"{text} is {name} number ({sign}{value}): write {sign}{value}{quoted}"
    if _SEXAGESIMAL.fullmatch(body):
        whole, _, fraction = body.partition(".")
        value = 0
        for part in whole.replace("_", "").split(":"):
            value = value * 60 + int(part)
        shown = f"{sign}{value}" + (f".{fraction.replace('_', '')}" if fraction.strip("_") else "")
        point = f", or {sign}{whole.replace(':', '.')} if a decimal point was meant"
        point = point if whole.count(":") == 1 and not fraction else ""
        return f"{text} is a base-60 number ({shown}) in YAML 1.1: write {shown}{point}{quoted}"
    if _OCTAL.fullmatch(body) and body.strip("0_"):
        value = int(body.replace("_", ""), 8)
        return (
            f"{text} is an octal number ({sign}{value}) in YAML 1.1: write "
            f"{sign}{int(body.replace('_', ''))} for the decimal number{quoted}"
        )
    if _DECIMALISH.fullmatch(body):
        plain = _plain(body)
        if plain is not None:
            why = []
            if "_" in body or "," in body:
                why.append("without separators")
            if text.startswith("+"):
                why.append("without '+'")
            if "e" in body.lower():
                why.append("without an exponent")
            how = f" ({', '.join(why)})" if why else ""
            return f"{text} is not a plain decimal number: write {sign}{plain}{how}{quoted}"
    return f"{text} is not a number smm reads{quoted}"


def _plain(body: str) -> str | None:
    """The plain decimal form of digits written with separators, an exponent, a bare
    point or leading zeros; None when its exponent is too large to write out."""
    mantissa, _, exponent = body.lower().replace("_", "").replace(",", "").partition("e")
    if exponent and (len(exponent.lstrip("+-")) > 2 or int(exponent) > MAX_DIGITS):
        return None
    try:
        value = Decimal(mantissa or "0").scaleb(int(exponent or 0))
    except InvalidOperation:
        return None
    shown = f"{value:f}"
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".") or "0"
    return shown
