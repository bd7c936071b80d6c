"""Typed values of the panel API, parsed tolerantly from every variant panels send.

Money is ``Decimal``, ids are ``int``, statuses are enums that keep values they do not
know (as pseudo-members), and a per-item error inside a batch is an ``ItemError`` value,
not an exception.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from runner.api.fields import (
    COUNT_MAX,
    ParseError,
    error_text,
    parse_bool,
    parse_count,
    parse_id,
    parse_mapping,
    parse_money,
    parse_optional_count,
    text,
)


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
        data = parse_mapping(raw, "service")
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
        data = parse_mapping(raw, "order status")
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
        data = parse_mapping(raw, "balance")
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
