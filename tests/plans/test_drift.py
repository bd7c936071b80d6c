"""Catalog drift, pure: what the memory says against the catalog now, for the services the
plan's actions use."""

from __future__ import annotations

from decimal import Decimal

from runner.api.models import Service, ServiceType
from runner.plans.drift import Catalog, compare, seen, used
from runner.plans.plan import Action, Kind

LIKES = Service(3, "Instagram Likes", ServiceType.DEFAULT, "IG", Decimal("0.90"), 10, 1000)
VIEWS = Service(4, "Instagram Views", ServiceType.DEFAULT, "IG", Decimal("0.01"), 10, 1000)
LIKES_HQ = Service(5, "Instagram Likes HQ", ServiceType.DEFAULT, "IG", Decimal("1.10"), 10, 1000)
POLL = Service(7, "Instagram Likes poll", ServiceType.POLL, "IG", Decimal("0.10"), 10, 1000)
MEMORY = {("demo", 3): seen(LIKES, "USD")}


def act(kind: Kind, address: str = "c/a", selection: dict[str, object] | None = None) -> Action:
    return Action(address, kind, "demo", service=3, campaign="c", selection=selection)


def catalog(*services: Service) -> dict[str, Catalog]:
    return {"demo": Catalog({s.id: s for s in services}, "USD")}


def test_nothing_changed_nothing_reported_and_unknown_services_are_news_to_no_one() -> None:
    assert compare([act(Kind.CREATE)], MEMORY, catalog(LIKES)) == []
    assert compare([act(Kind.CREATE)], {}, catalog(LIKES)) == []  # never used before
    assert compare([act(Kind.CREATE)], MEMORY, {"demo": Catalog(None, None)}) == []  # down


def test_a_rate_rise_is_a_warning_with_old_and_new() -> None:
    dearer = Service(3, "Instagram Likes", ServiceType.DEFAULT, "IG", Decimal("1.20"), 10, 1000)
    [found] = compare([act(Kind.NOOP), act(Kind.CREATE, "c/b")], MEMORY, catalog(dearer))
    assert (found.kind, found.level, found.old, found.new) == ("rate", "warning", "0.90", "1.20")
    assert found.message == "service 3 on demo ('Instagram Likes') costs more: 0.90 → 1.20 USD"
    assert found.addresses == ("c/a", "c/b")
    cheaper = Service(3, "Instagram Likes", ServiceType.DEFAULT, "IG", Decimal("0.5"), 10, 1000)
    assert compare([act(Kind.CREATE)], MEMORY, catalog(cheaper)) == []


def test_a_rise_above_a_selectors_max_rate_is_an_error() -> None:
    dearer = Service(3, "Instagram Likes", ServiceType.DEFAULT, "IG", Decimal("2"), 10, 1000)
    left = {"left_out": [{"panel": "demo", "service": 3, "left_out": "rate 2 is above max_rate 1"}]}
    invalid = Action("c/s", Kind.INVALID, "", campaign="c", selection=left)
    assert used([invalid]) == {("demo", 3): [invalid]}
    [found] = compare([invalid], MEMORY, catalog(dearer))
    assert found.level == "error" and found.message.endswith("above the max_rate of c/s")


def test_a_service_gone_names_the_nearest_of_its_type() -> None:
    [gone] = compare([act(Kind.CREATE)], MEMORY, catalog(VIEWS, LIKES_HQ, POLL))
    assert gone.kind == "gone" and gone.level == "error"
    assert gone.message == (
        "service 3 on demo ('Instagram Likes', Default) is gone from the catalog; the nearest "
        "Default services by name: 5 'Instagram Likes HQ', 4 'Instagram Views'"
    )
    [placed_only] = compare([act(Kind.NOOP)], MEMORY, catalog(VIEWS))
    assert placed_only.level == "warning"  # nothing new is ordered with it


def test_a_number_that_sells_something_else_stops_a_create() -> None:
    other = Service(3, "TikTok Views", ServiceType.DEFAULT, "TT", Decimal("0.90"), 10, 1000)
    [renamed] = compare([act(Kind.CREATE)], MEMORY, catalog(other))
    assert renamed.level == "error" and renamed.kind == "renamed"
    assert renamed.message.startswith(
        "service 3 on demo is now 'TikTok Views' (was 'Instagram Likes'); confirm with "
        "`smm services demo --search 'TikTok Views'`, then `smm services demo --accept 3`"
    )
    retyped = Service(3, "Instagram Likes", ServiceType.PACKAGE, "IG", Decimal("0.90"), 1, 1)
    [found] = compare([act(Kind.NOOP)], MEMORY, catalog(retyped))
    assert (
        found.level == "warning" and "(Package) (was 'Instagram Likes' (Default))" in found.message
    )
    chosen = act(Kind.CREATE, selection={"chosen": {}})  # a selector chose it by name
    [news] = compare([chosen], MEMORY, catalog(other))
    assert news.level == "warning"


def test_an_orphan_uses_nothing() -> None:
    assert used([act(Kind.ORPHAN)]) == {}
