"""The order types of the panel API: which fields each takes and how units are counted.

Field names are those of campaign files; on the wire they are the same except
``drip_feed``, which travels as ``runs`` and ``interval``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from runner.api.models import ServiceType

LIST_FIELDS = frozenset({"comments", "usernames", "hashtags", "keywords", "groups"})
# Fields of every order, whatever its type; the rest belong to order types.
COMMON_FIELDS = frozenset(
    {
        "id",
        "type",
        "panel",
        "service",
        "refills",
        "cancel",
        "note",
        # What to do about the outcome (runner.plans.topups, runner.plans.refills):
        "on_partial",
        "max_topups",
        "auto_refill",
    }
)


@dataclass(frozen=True)
class OrderType:
    service_type: ServiceType
    slug: str
    required: frozenset[str]
    optional: frozenset[str]
    units: str  # quantity | one | comments | usernames | subscription

    @property
    def fields(self) -> frozenset[str]:
        return self.required | self.optional

    def wire_fields(self) -> tuple[frozenset[str], frozenset[str]]:
        """(required, optional) parameter names of ``add``."""

        def wire(names: frozenset[str]) -> frozenset[str]:
            if "drip_feed" in names:
                names = (names - {"drip_feed"}) | {"runs", "interval"}
            if self.units in ("comments", "usernames"):
                names = names - {"quantity"}  # the panel counts the list itself
            return names

        return wire(self.required), wire(self.optional)


def _t(
    kind: ServiceType, slug: str, required: str, optional: str = "", units: str = "quantity"
) -> OrderType:
    return OrderType(kind, slug, frozenset(required.split()), frozenset(optional.split()), units)


ORDER_TYPES: tuple[OrderType, ...] = (
    _t(ServiceType.DEFAULT, "default", "link quantity", "drip_feed"),
    _t(ServiceType.PACKAGE, "package", "link", units="one"),
    _t(ServiceType.SEO, "seo", "link quantity keywords"),
    _t(
        ServiceType.CUSTOM_COMMENTS,
        "custom_comments",
        "link comments",
        "quantity",
        units="comments",
    ),
    _t(
        ServiceType.CUSTOM_COMMENTS_PACKAGE, "custom_comments_package", "link comments", units="one"
    ),
    _t(ServiceType.MENTIONS, "mentions", "link quantity usernames"),
    _t(
        ServiceType.MENTIONS_WITH_HASHTAGS,
        "mentions_with_hashtags",
        "link quantity usernames hashtags",
    ),
    _t(
        ServiceType.MENTIONS_CUSTOM_LIST,
        "mentions_custom_list",
        "link usernames",
        "quantity",
        units="usernames",
    ),
    _t(ServiceType.MENTIONS_HASHTAG, "mentions_hashtag", "link quantity hashtag"),
    _t(ServiceType.MENTIONS_USER_FOLLOWERS, "mentions_user_followers", "link quantity username"),
    _t(ServiceType.MENTIONS_MEDIA_LIKERS, "mentions_media_likers", "link quantity media"),
    _t(ServiceType.COMMENT_LIKES, "comment_likes", "link quantity username"),
    _t(
        ServiceType.COMMENT_REPLIES,
        "comment_replies",
        "link username comments",
        "quantity",
        units="comments",
    ),
    _t(ServiceType.POLL, "poll", "link quantity answer_number"),
    _t(ServiceType.INVITES_FROM_GROUPS, "invites_from_groups", "link quantity groups"),
    _t(
        ServiceType.SUBSCRIPTIONS,
        "subscriptions",
        "username min max",
        "posts old_posts delay expiry",
        units="subscription",
    ),
    _t(
        ServiceType.WEB_TRAFFIC,
        "web_traffic",
        "link quantity",
        "drip_feed country device type_of_traffic google_keyword referring_url",
    ),
)

BY_SERVICE_TYPE: dict[ServiceType, OrderType] = {t.service_type: t for t in ORDER_TYPES}
BY_SLUG: dict[str, OrderType] = {t.slug: t for t in ORDER_TYPES}


def units(order_type: OrderType, params: Mapping[str, Any]) -> int | None:
    """Units charged (panel-api.md "units charged"); None when unbounded."""
    kind = order_type.units
    if kind == "one":
        return 1
    if kind == "comments":
        return len(params.get("comments") or ())
    if kind == "usernames":
        return len(params.get("usernames") or ())
    if kind == "subscription":
        # The worst case: the most per post, on every post it may cover.
        posts = params.get("posts")
        if posts is None:
            return None
        return (int(posts) + int(params.get("old_posts") or 0)) * int(params["max"])
    drip = params.get("drip_feed")
    runs = int(drip["runs"]) if isinstance(drip, Mapping) else 1
    return int(params.get("quantity") or 0) * runs


def price(order_type: OrderType, rate: Decimal, count: int) -> Decimal:
    """What ``count`` units cost at ``rate``, exactly: a package is charged its rate (the
    price of one package), every other type the rate per 1000 units."""
    if order_type.units == "one":
        return rate * count
    return rate * count / 1000


def checked_quantity(order_type: OrderType, params: Mapping[str, Any]) -> int:
    """The number a panel compares with the service's min..max (per run for drip-feed)."""
    kind = order_type.units
    if kind == "one":
        return 1
    if kind in ("comments", "usernames"):
        return units(order_type, params) or 0
    if kind == "subscription":
        return int(params.get("max") or 0)
    return int(params.get("quantity") or 0)


def wire_params(params: Mapping[str, Any], service_type: str | None) -> dict[str, Any]:
    """The ``add`` parameters for an order's fields: drip_feed travels as runs/interval,
    and a counted list's quantity stays home (the panel counts the list itself)."""
    order_type = BY_SERVICE_TYPE.get(ServiceType(service_type or "Default"))
    counted = order_type is not None and order_type.units in ("comments", "usernames")
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name == "drip_feed":
            out["runs"] = int(value["runs"])
            out["interval"] = int(value["interval"])
        elif name == "quantity" and counted:
            continue
        elif isinstance(value, list | tuple):
            out[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            out[name] = int(value)
        elif isinstance(value, int | str):
            out[name] = value
        else:
            out[name] = str(value)
    return out
