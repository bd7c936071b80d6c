"""Typed values of the panel API, parsed tolerantly from every variant panels send.

Money is ``Decimal``, ids are ``int``, statuses are enums that keep values they do not
know (as pseudo-members), and a per-item error inside a batch is an ``ItemError`` value,
not an exception.
"""

from __future__ import annotations

import enum
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class ParseError(ValueError):
    """A value of a panel response does not have the documented shape."""


class _TolerantEnum(enum.StrEnum):
    """A string enum matched case-insensitively; unknown values become pseudo-members."""

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {}

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        norm = " ".join(value.strip().lower().replace("_", " ").split())
        norm = cls._aliases().get(norm, norm)
        for member in cls:
            if member.value.lower() == norm:
                return member
        pseudo = str.__new__(cls, value)
        pseudo._name_ = "UNKNOWN"
        pseudo._value_ = value
        return pseudo

    @property
    def known(self) -> bool:
        return self._name_ != "UNKNOWN"


class ServiceType(_TolerantEnum):
    DEFAULT = "Default"
    PACKAGE = "Package"
    SEO = "SEO"
    CUSTOM_COMMENTS = "Custom Comments"
    CUSTOM_COMMENTS_PACKAGE = "Custom Comments Package"
    MENTIONS = "Mentions"
    MENTIONS_WITH_HASHTAGS = "Mentions with Hashtags"
    MENTIONS_CUSTOM_LIST = "Mentions Custom List"
    MENTIONS_HASHTAG = "Mentions Hashtag"
    MENTIONS_USER_FOLLOWERS = "Mentions User Followers"
    MENTIONS_MEDIA_LIKERS = "Mentions Media Likers"
    COMMENT_LIKES = "Comment Likes"
    COMMENT_REPLIES = "Comment Replies"
    POLL = "Poll"
    INVITES_FROM_GROUPS = "Invites from Groups"
    SUBSCRIPTIONS = "Subscriptions"
    WEB_TRAFFIC = "Web Traffic"


class OrderStatus(_TolerantEnum):
    PENDING = "Pending"
    PROCESSING = "Processing"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    PARTIAL = "Partial"
    CANCELED = "Canceled"
    REFUNDED = "Refunded"
    ACTIVE = "Active"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"cancelled": "canceled", "inprogress": "in progress"}

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED, OrderStatus.REFUNDED}
)


class RefillStatus(_TolerantEnum):
    PENDING = "Pending"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    REJECTED = "Rejected"
    CANCELED = "Canceled"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {"cancelled": "canceled", "inprogress": "in progress"}

    @property
    def terminal(self) -> bool:
        return self in (RefillStatus.COMPLETED, RefillStatus.REJECTED, RefillStatus.CANCELED)


# --- scalar parsing -----------------------------------------------------------------
#
# Panel answers are untrusted: every number is checked against bounds before it is turned
# into an int (``int(Decimal("1e999999"))`` builds a million-digit integer: seconds of
# CPU), and nothing here raises anything but ``ParseError``.

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


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(f"{what}: expected an object, got {type(value).__name__}")
    return value


# --- values ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemError:
    """A per-item error inside a batch answer (``{"error": ...}`` or a bare string).

    ``said``: the panel itself answered this error for the item.  False when the item was
    missing from the answer or its entry could not be read: that proves nothing about the
    item (an unreadable entry may well be an order)."""

    message: str
    said: bool = True


@dataclass(frozen=True)
class Service:
    """One entry of a panel's catalog.  ``unusable`` says why it cannot be ordered (its rate,
    min or max make no sense); such a service keeps a harmless rate of 0."""

    id: int
    name: str
    type: ServiceType
    category: str
    rate: Decimal
    min: int
    max: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool | None = None
    unusable: str | None = None

    @classmethod
    def parse(cls, raw: object) -> Service:
        """A catalog entry; ``ParseError`` only when it has no usable id."""
        data = _mapping(raw, "service")
        ident = parse_id(data.get("service"), "service id")
        problems: list[str] = []

        def field(name: str, parse: Callable[[object, str], Any], default: Any) -> Any:
            if data.get(name) is None:
                if default is None:
                    problems.append(f"no {name}")
                return default or 0
            try:
                return parse(data[name], name)
            except ParseError as exc:
                problems.append(str(exc))
                return 0

        rate = field("rate", parse_money, None)
        low = field("min", parse_count, 1)
        high = field("max", parse_count, None)
        if not problems and high < 1:
            problems.append(f"max {high} is below 1")
        if not problems and low > high:
            problems.append(f"min {low} is above max {high}")
        if data.get("unusable"):  # a cached entry keeps its reason
            problems.append(text(data["unusable"]))
        return cls(
            id=ident,
            name=text(data.get("name"), 200),
            type=ServiceType(text(data.get("type"), 60) or "Default"),
            category=text(data.get("category"), 200),
            rate=Decimal(0) if problems else rate,
            min=low,
            max=high,
            refill=parse_bool(data.get("refill", False)),
            cancel=parse_bool(data.get("cancel", False)),
            dripfeed=parse_bool(data["dripfeed"]) if "dripfeed" in data else None,
            unusable=text("; ".join(problems)) if problems else None,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "service": self.id,
            "name": self.name,
            "type": str(self.type),
            "category": self.category,
            "rate": str(self.rate),
            "min": self.min,
            "max": self.max,
            "refill": self.refill,
            "cancel": self.cancel,
        }
        if self.dripfeed is not None:
            out["dripfeed"] = self.dripfeed
        if self.unusable is not None:
            out["unusable"] = self.unusable
        return out


@dataclass(frozen=True, slots=True)
class OrderInfo:
    """The answer of ``status`` for one order."""

    status: OrderStatus
    remains: int | None = None
    start_count: int | None = None
    charge: Decimal | None = None
    currency: str | None = None

    @classmethod
    def parse(cls, raw: object) -> OrderInfo:
        data = _mapping(raw, "order status")
        if "status" not in data:
            raise ParseError("order status: no 'status' field")
        charge = data.get("charge")
        return cls(
            status=OrderStatus(text(data["status"], 60)),
            remains=parse_optional_count(data.get("remains"), "remains", -COUNT_MAX),
            start_count=parse_optional_count(data.get("start_count"), "start_count"),
            charge=(
                None
                if charge is None or (isinstance(charge, str) and not charge.strip())
                else parse_money(charge, "charge")
            ),
            currency=text(data["currency"], 16) if data.get("currency") else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "remains": self.remains,
            "start_count": self.start_count,
            "charge": None if self.charge is None else str(self.charge),
            "currency": self.currency,
        }


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    currency: str

    @classmethod
    def parse(cls, raw: object) -> Balance:
        data = _mapping(raw, "balance")
        return cls(
            amount=parse_money(data.get("balance"), "balance", negative=True),
            currency=text(data.get("currency"), 16),
        )


def item_error(value: object) -> ItemError | None:
    """The per-item error a batch entry carries, if it is one."""
    if isinstance(value, str):
        said = text(value)
        return ItemError(said) if said else ItemError("(an empty answer)", said=False)
    message = error_text(value)
    return None if message is None else ItemError(message)
