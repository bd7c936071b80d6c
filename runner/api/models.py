"""Typed values of the panel API, parsed tolerantly from every variant panels send.

Money is ``Decimal``, ids are ``int``, statuses are enums that keep values they do not
know (as pseudo-members), and a per-item error inside a batch is an ``ItemError`` value,
not an exception.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
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


def parse_int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise ParseError(f"{what}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                dec = Decimal(text)
            except InvalidOperation:
                raise ParseError(f"{what}: expected an integer, got {value!r:.40}") from None
            if dec == dec.to_integral_value():
                return int(dec)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ParseError(f"{what}: expected an integer, got {value!r:.40}")


def parse_optional_int(value: object, what: str) -> int | None:
    """Integers that panels sometimes leave empty, null or "Unknown"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_int(value, what)
    except ParseError:
        if isinstance(value, str):
            return None
        raise


def parse_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ParseError(f"{what}: expected a number, got a boolean")
    if isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ParseError(f"{what}: expected a number, got {value!r:.40}") from None
        if not result.is_finite():
            raise ParseError(f"{what}: expected a finite number")
        return result
    if isinstance(value, float):
        # JSON numbers arrive as floats; repr() is the shortest exact round-trip text.
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    raise ParseError(f"{what}: expected a number, got {type(value).__name__}")


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return False


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(f"{what}: expected an object, got {type(value).__name__}")
    return value


# --- values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemError:
    """A per-item error inside a batch answer (``{"error": ...}`` or a bare string)."""

    message: str


@dataclass(frozen=True)
class Service:
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

    @classmethod
    def parse(cls, raw: object) -> Service:
        data = _mapping(raw, "service")
        ident = parse_int(data.get("service"), "service id")
        return cls(
            id=ident,
            name=str(data.get("name", "")),
            type=ServiceType(str(data.get("type") or "Default")),
            category=str(data.get("category", "")),
            rate=parse_decimal(data.get("rate"), f"service {ident} rate"),
            min=parse_int(data.get("min", 1), f"service {ident} min"),
            max=parse_int(data.get("max", 0), f"service {ident} max"),
            refill=parse_bool(data.get("refill", False)),
            cancel=parse_bool(data.get("cancel", False)),
            dripfeed=parse_bool(data["dripfeed"]) if "dripfeed" in data else None,
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
        return out


@dataclass(frozen=True)
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
            status=OrderStatus(str(data["status"])),
            remains=parse_optional_int(data.get("remains"), "remains"),
            start_count=parse_optional_int(data.get("start_count"), "start_count"),
            charge=(
                None
                if charge is None or (isinstance(charge, str) and not charge.strip())
                else parse_decimal(charge, "charge")
            ),
            currency=str(data["currency"]) if data.get("currency") else None,
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
            amount=parse_decimal(data.get("balance"), "balance"),
            currency=str(data.get("currency") or ""),
        )


def item_error(value: object) -> ItemError | None:
    """The per-item error a batch entry carries, if it is one."""
    if isinstance(value, str):
        return ItemError(value)
    if isinstance(value, Mapping) and "error" in value:
        return ItemError(str(value["error"]))
    return None
