"""Reading a request's parameters the way a panel does: refusals with the real texts.

``check_add`` turns the form of an ``add`` into what the order will be, or raises
``Refusal`` with the message a real panel answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from runner.api.ordertypes import ORDER_TYPES
from runner.sim.catalog import BY_ID, SimService


class Refusal(Exception):
    """A request the panel answers with ``{"error": message}``."""


SUBSCRIPTION_DELAYS = frozenset(
    {
        0,
        5,
        10,
        15,
        20,
        30,
        40,
        50,
        60,
        90,
        120,
        150,
        180,
        210,
        240,
        270,
        300,
        360,
        420,
        480,
        540,
        600,
    }
)

# Required and optional parameters of ``add`` per service type (panel-api.md).
TYPE_PARAMS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    str(t.service_type): t.wire_fields() for t in ORDER_TYPES
}

MISSING = {
    "link": "Bad link",
    "quantity": "Incorrect quantity",
    "comments": "Comments are required",
    "usernames": "Usernames are required",
    "hashtags": "Hashtags are required",
    "hashtag": "Hashtag is required",
    "username": "Username is required",
    "media": "Media URL is required",
    "keywords": "Keywords are required",
    "groups": "Groups are required",
    "answer_number": "Incorrect answer number",
    "min": "Incorrect min",
    "max": "Incorrect max",
}

# Malformed, not a real date, or already past: panels name the field, as for the others.
BAD_EXPIRY = "Incorrect expiry date"
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class NewOrder:
    """An ``add`` that passed the panel's checks of its own parameters."""

    service: SimService
    link: str
    units: int  # charged per run
    runs: int
    interval: int

    @property
    def total(self) -> int:
        return self.units * self.runs


def integer(form: Mapping[str, str], name: str, error: str) -> int:
    try:
        return int(form.get(name, "").strip())
    except ValueError:
        raise Refusal(error) from None


def service_of(raw: str, catalog: Mapping[int, SimService] = BY_ID) -> SimService:
    try:
        service = catalog.get(int(raw.strip()))
    except ValueError:
        service = None
    if service is None:
        raise Refusal("Incorrect service ID")
    if service.disabled:
        raise Refusal("Disabled service ID")
    return service


def check_expiry(text: str, now: float) -> None:
    """A subscription's ``expiry`` (``d/m/Y``) must be a real date, today or later (the
    panel's day, UTC)."""
    match = _DMY.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        day, month, year = (int(x) for x in match.groups())
        expiry = date(year, month, day)
    except ValueError:
        raise Refusal(BAD_EXPIRY) from None
    if expiry < datetime.fromtimestamp(now, UTC).date():
        raise Refusal(BAD_EXPIRY)


def units_of(service: SimService, form: Mapping[str, str], now: float) -> tuple[int, int]:
    """(units charged per run, the number checked against min..max)."""
    kind = service.type

    def lines(name: str) -> list[str]:
        return [x for x in form.get(name, "").replace("\r\n", "\n").split("\n") if x.strip()]

    if kind in ("Package", "Custom Comments Package"):
        return 1, 1
    if kind in ("Custom Comments", "Comment Replies"):
        n = len(lines("comments"))
        return n, n
    if kind == "Mentions Custom List":
        n = len(lines("usernames"))
        return n, n
    if kind == "Subscriptions":
        lo = integer(form, "min", "Incorrect min")
        hi = integer(form, "max", "Incorrect max")
        if lo > hi:
            raise Refusal("Min cannot be greater than max")
        if form.get("delay", "").strip():
            delay = integer(form, "delay", "Incorrect delay")
            if delay not in SUBSCRIPTION_DELAYS:
                raise Refusal("Incorrect delay")
        if form.get("expiry", "").strip():
            check_expiry(form["expiry"], now)
        if lo < service.min:
            return 0, lo
        posts = integer(form, "posts", "Incorrect posts") if form.get("posts") else 0
        return posts * hi, hi
    if kind == "Poll" and integer(form, "answer_number", "Incorrect answer number") < 1:
        raise Refusal("Incorrect answer number")
    quantity = integer(form, "quantity", "Incorrect quantity")
    return quantity, quantity


def check_add(
    form: Mapping[str, str], now: float, catalog: Mapping[int, SimService] = BY_ID
) -> NewOrder:
    """The order an ``add`` asks for, checked as a panel checks it (before money and the
    duplicate-link rule, which need the account), against the panel's ``catalog``."""
    service = service_of(form.get("service", ""), catalog)
    required, optional = TYPE_PARAMS[service.type]
    for name in sorted(required):
        if not form.get(name, "").strip():
            raise Refusal(MISSING.get(name, f"Incorrect {name}"))
    link = form.get("link", "").strip()
    if "link" in required and (not link or any(c.isspace() for c in link)):
        raise Refusal("Bad link")
    runs, interval = 1, 0
    if form.get("runs") or form.get("interval"):
        if "runs" not in optional or not service.dripfeed:
            raise Refusal("Drip-feed is not available for this service")
        runs = integer(form, "runs", "Incorrect runs")
        interval = integer(form, "interval", "Incorrect interval")
        if runs < 2 or interval < 1:
            raise Refusal("Incorrect drip-feed runs or interval")
    units, quantity = units_of(service, form, now)
    if quantity < service.min:
        raise Refusal(f"Quantity less than minimal {service.min}")
    if quantity > service.max:
        raise Refusal(f"Quantity more than maximum {service.max}")
    return NewOrder(service, link, units, runs, interval)
