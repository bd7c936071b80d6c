"""The simulated panel's catalogs: every order type, with realistic rates, limits and flags.

Two shapes: ``standard`` (USD, every order type) and ``alt`` (EUR, another panel's own
numbering, names and rates for a few common services), so that tests and demos can
compare panels.  ``BY_ID`` knows the services of both (their ids do not overlap).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from runner.sim.store import Store

PACKAGE_TYPES = frozenset({"Package", "Custom Comments Package"})
DEFAULT_DECIMALS = 5  # as panel-api.md's examples: "charge": "0.27819", "balance": "100.84292"


def rounded(amount: Decimal, decimals: int) -> Decimal:
    """Money as a PHP panel stores it: round() to ``decimals`` places, halves away from 0."""
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class SimService:
    id: int
    name: str
    type: str
    category: str
    rate: Decimal
    min: int
    max: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    disabled: bool = False

    @property
    def package(self) -> bool:
        return self.type in PACKAGE_TYPES

    def price(self, units: int) -> Decimal:
        """Exact price of ``units``: ``rate`` is per 1000 units, or per package for the
        package types (panel-api.md)."""
        return self.rate * units if self.package else self.rate * units / 1000

    def wire(self) -> dict[str, object]:
        """The service as panels send it: numbers as strings, flags as booleans."""
        return {
            "service": self.id,
            "name": self.name,
            "type": self.type,
            "category": self.category,
            "rate": f"{self.rate}",
            "min": str(self.min),
            "max": str(self.max),
            "refill": self.refill,
            "cancel": self.cancel,
            "dripfeed": self.dripfeed,
        }


def _s(
    ident: int,
    name: str,
    type_: str,
    category: str,
    rate: str,
    lo: int,
    hi: int,
    flags: str = "",
) -> SimService:
    return SimService(
        ident,
        name,
        type_,
        category,
        Decimal(rate),
        lo,
        hi,
        refill="r" in flags,
        cancel="c" in flags,
        dripfeed="d" in flags,
        disabled="x" in flags,
    )


CATALOG: tuple[SimService, ...] = (
    _s(
        1,
        "Instagram Followers [Real, 30 days refill]",
        "Default",
        "Instagram Followers",
        "0.90",
        50,
        10000,
        "rcd",
    ),
    _s(
        2,
        "Instagram Custom Comments [Worldwide]",
        "Custom Comments",
        "Instagram Comments",
        "12.50",
        1,
        1000,
        "c",
    ),
    _s(
        3,
        "Instagram Likes [Fast, no refill]",
        "Default",
        "Instagram Likes",
        "0.12345",
        10,
        50000,
        "cd",
    ),
    _s(
        4,
        "Instagram Reel Views [Instant]",
        "Default",
        "Instagram Views",
        "0.00456",
        100,
        1000000,
        "d",
    ),
    _s(5, "Instagram Story Views Package [1000 views]", "Package", "Instagram Views", "2.75", 1, 1),
    _s(6, "Instagram Comment Likes", "Comment Likes", "Instagram Comments", "1.85", 20, 5000, "c"),
    _s(7, "Telegram Poll Votes [Choose answer]", "Poll", "Telegram", "0.48", 100, 50000, "c"),
    _s(
        8, "Instagram Mentions [Random users]", "Mentions", "Instagram Mentions", "3.20", 100, 10000
    ),
    _s(
        9,
        "Instagram Mentions with Hashtags",
        "Mentions with Hashtags",
        "Instagram Mentions",
        "3.90",
        100,
        10000,
    ),
    _s(
        10,
        "Instagram Mentions [Custom list]",
        "Mentions Custom List",
        "Instagram Mentions",
        "4.10",
        1,
        1000,
    ),
    _s(
        11,
        "Instagram Mentions [Hashtag users]",
        "Mentions Hashtag",
        "Instagram Mentions",
        "2.95",
        100,
        10000,
    ),
    _s(
        12,
        "Instagram Mentions [Followers of a user]",
        "Mentions User Followers",
        "Instagram Mentions",
        "3.05",
        100,
        10000,
    ),
    _s(
        13,
        "Instagram Mentions [Likers of a post]",
        "Mentions Media Likers",
        "Instagram Mentions",
        "3.15",
        100,
        10000,
    ),
    _s(
        14,
        "YouTube Comment Replies [Custom]",
        "Comment Replies",
        "YouTube Comments",
        "9.75",
        1,
        500,
        "c",
    ),
    _s(15, "Google Keyword Search Traffic [SEO]", "SEO", "Website Traffic", "1.20", 100, 100000),
    _s(
        16,
        "Instagram Custom Comments Package [10 comments]",
        "Custom Comments Package",
        "Instagram Comments",
        "6.00",
        1,
        1,
    ),
    _s(
        17,
        "Telegram Members [Invites from groups]",
        "Invites from Groups",
        "Telegram",
        "7.40",
        100,
        20000,
        "c",
    ),
    _s(
        18,
        "Instagram Auto Likes [Subscription]",
        "Subscriptions",
        "Instagram Likes",
        "0.35",
        20,
        10000,
        "c",
    ),
    _s(
        19,
        "Website Traffic [Worldwide, choose source]",
        "Web Traffic",
        "Website Traffic",
        "0.08",
        100,
        1000000,
        "cd",
    ),
    _s(
        20,
        "TikTok Followers [HQ, 30 days refill]",
        "Default",
        "TikTok",
        "1.73219",
        100,
        50000,
        "rcd",
    ),
    _s(
        21,
        "YouTube Views [Lifetime refill]",
        "Default",
        "YouTube Views",
        "0.98765",
        500,
        1000000,
        "rd",
    ),
    _s(
        22,
        "X (Twitter) Followers [Refill 60 days]",
        "Default",
        "X (Twitter)",
        "2.40",
        100,
        20000,
        "rc",
    ),
    _s(23, "Facebook Page Likes [Old, disabled]", "Default", "Facebook", "1.10", 100, 10000, "x"),
)

# Another panel: its own ids, names and rates, priced in euros.
ALT_CATALOG: tuple[SimService, ...] = (
    _s(
        101,
        "Instagram Likes | Real | 30 days refill",
        "Default",
        "Instagram",
        "0.11",
        20,
        20000,
        "rc",
    ),
    _s(102, "Instagram Likes | Cheap | no refill", "Default", "Instagram", "0.09", 50, 10000),
    _s(103, "Instagram Followers | HQ | refill", "Default", "Instagram", "0.80", 100, 50000, "rcd"),
    _s(104, "TikTok Views | Instant", "Default", "TikTok", "0.02", 100, 1000000, "d"),
    _s(105, "YouTube Views | Lifetime refill", "Default", "YouTube", "0.95", 1000, 1000000, "rd"),
    _s(106, "Instagram Custom Comments", "Custom Comments", "Instagram", "11.00", 1, 500),
    _s(107, "Telegram Poll Votes", "Poll", "Telegram", "0.40", 100, 10000),
)

# The catalog shapes a simulated panel can have: their services and their currency.
SHAPES: dict[str, tuple[tuple[SimService, ...], str]] = {
    "standard": (CATALOG, "USD"),
    "alt": (ALT_CATALOG, "EUR"),
}


def shape_for(name: str) -> str:
    """The default shape of ``sim://NAME``: ``alt`` for names starting with ``alt``."""
    return "alt" if name.startswith("alt") else "standard"


BY_ID: dict[int, SimService] = {s.id: s for s in (*CATALOG, *ALT_CATALOG)}


class LiveCatalog:
    """One simulated panel's catalog as it is now: its shape, with the changes made
    mid-test (``change``: another rate, name or type, or gone), kept in the panel's
    file so that every process serving it sees them."""

    def __init__(self, store: Store, base: tuple[SimService, ...]) -> None:
        self.store = store
        self.base = {s.id: s for s in base}

    def now(self) -> dict[int, SimService]:
        out = dict(self.base)
        rows = self.store.db.execute("SELECT key, value FROM meta WHERE key LIKE 'service:%'")
        for key, value in rows:
            ident = int(key.removeprefix("service:"))
            if ident in out:
                out[ident] = _changed(out[ident], json.loads(value))
        return out

    def one(self, ident: int) -> SimService:
        """A service an order was placed with (another customer's may be of any shape)."""
        return self.now().get(ident) or BY_ID[ident]

    def change(
        self,
        ident: int,
        *,
        rate: Decimal | None = None,
        name: str | None = None,
        type: str | None = None,
        gone: bool = False,
    ) -> None:
        if ident not in self.base:
            raise ValueError(f"service {ident} is not in this panel's catalog")
        with self.store.write():
            key = f"service:{ident}"
            change = json.loads(self.store.meta(key) or "{}")
            new = {"rate": None if rate is None else str(rate), "name": name, "type": type}
            change.update({k: v for k, v in new.items() if v is not None})
            change["gone"] = gone or change.get("gone", False)
            self.store.set_meta(key, json.dumps(change, sort_keys=True))


def _changed(service: SimService, change: dict[str, Any]) -> SimService:
    return replace(
        service,
        name=str(change.get("name") or service.name),
        type=str(change.get("type") or service.type),
        rate=Decimal(str(change["rate"])) if change.get("rate") is not None else service.rate,
        disabled=bool(change.get("gone")) or service.disabled,
    )
