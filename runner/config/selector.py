"""A service named by what it is: the selector a campaign may write instead of a number.

``service: {match, type, refill, cancel, dripfeed, max_rate, panels}``; the planner picks
the cheapest fitting service among the candidates (``runner.plans.selection``).  Here only
what the file says, read and checked where it was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from runner.api.models import ServiceType

FLAGS = ("refill", "cancel", "dripfeed")


@dataclass(frozen=True, slots=True)
class Selector:
    """What a service must be to be chosen."""

    match: str
    type: ServiceType | None = None
    refill: bool | None = None
    cancel: bool | None = None
    dripfeed: bool | None = None
    max_rate: Decimal | None = None
    panels: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        """The words a service's name must all contain, in any case."""
        return tuple(self.match.casefold().split())

    def names(self, name: str) -> bool:
        """Whether a service called ``name`` has every word, each at the start of one of
        its words (``like`` finds "Likes"; ``ig`` does not find "Bigger")."""
        folded = name.casefold()
        return all(re.search(r"(?<![^\W_])" + re.escape(word), folded) for word in self.words)

    def flags(self) -> dict[str, bool]:
        """The flags the selector asks for (true) or refuses (false)."""
        return {f: v for f in FLAGS if (v := getattr(self, f)) is not None}

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"match": self.match}
        if self.type is not None:
            out["type"] = str(self.type)
        out.update(self.flags())
        if self.max_rate is not None:
            out["max_rate"] = str(self.max_rate)
        if self.panels:
            out["panels"] = list(self.panels)
        return out


def service_type(text: str) -> ServiceType | None:
    """A service type as a person writes it: the catalog's name in any case, or the order
    type's slug (``custom_comments``)."""
    wanted = text.strip().casefold().replace("_", " ")
    for member in ServiceType:
        if member.value.casefold() == wanted:
            return member
    return None


def type_names() -> str:
    return ", ".join(m.value for m in ServiceType)


def read(raw: Mapping[str, Any]) -> Selector:
    """The selector of a mapping; a value of the wrong shape (the schema's to refuse:
    then no spec is made of it) is read as not set."""
    rate = raw.get("max_rate")
    kind = raw.get("type")
    panels = raw.get("panels")

    def flag(name: str) -> bool | None:
        value = raw.get(name)
        return value if isinstance(value, bool) else None

    return Selector(
        match=str(raw.get("match", "")).strip(),
        type=service_type(kind) if isinstance(kind, str) else None,
        refill=flag("refill"),
        cancel=flag("cancel"),
        dripfeed=flag("dripfeed"),
        max_rate=Decimal(str(rate)) if _number(rate) else None,
        panels=tuple(p for p in panels if isinstance(p, str)) if isinstance(panels, list) else (),
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def problems(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the schema cannot say about a selector: (field, message) pairs."""
    found = []
    kind = raw.get("type")
    if isinstance(kind, str) and service_type(kind) is None:
        found.append(("type", f"unknown service type '{kind}' (types: {type_names()})"))
    rate = raw.get("max_rate")
    if _number(rate) and not Decimal(str(rate)).is_finite():
        found.append(("max_rate", "must be a number"))
    return found
