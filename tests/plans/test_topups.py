"""Top-ups and scheduled refills, decided by the pure planner from plain data."""

from __future__ import annotations

import datetime as _dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from runner.api.models import Balance, OrderInfo, OrderStatus, Service, ServiceType
from runner.config.campaign import CampaignSpec
from runner.plans.facts import PanelFacts
from runner.plans.plan import Kind, Plan
from runner.plans.planner import make_plan
from runner.state import LastStatus, OrderRecord, Phase, RefillRecord, StateInfo
from tests.plans.test_planner import CATALOG, NOW, spec

REORDER = "  - {id: f, service: 1, link: https://x/f, quantity: 1000, on_partial: reorder}\n"


def record(
    address: str,
    status: str | None,
    remains: int | None,
    units: int = 1000,
    order_id: int = 501,
    phase: Phase = Phase.PLACED,
    **kwargs: Any,
) -> OrderRecord:
    last = None if status is None else LastStatus(status, remains, 0, Decimal("0.5"), "USD", "t")
    return OrderRecord(
        address,
        "c",
        "demo",
        "sha256:x",
        phase,
        {"units": units, "service": 1},
        order_id=order_id,
        last=last,
        created_at=kwargs.pop("created_at", "2026-11-20T12:00:00Z"),
        **kwargs,
    )


def plan(c: CampaignSpec, *records: OrderRecord, **statuses: Any) -> Plan:
    by_address = {r.address: r for r in records}
    # The original keeps its fingerprint: it is the file's order.
    first = by_address.get("c/f")
    if first is not None:
        from dataclasses import replace

        by_address["c/f"] = replace(first, fingerprint=c.orders[0].fingerprint())
    facts = {
        "demo": PanelFacts(
            "demo", CATALOG, Balance(Decimal("100"), "USD"), statuses.get("fresh", {})
        )
    }
    return make_plan([c], by_address, facts, now=NOW, state=StateInfo("l", 1))


def of(p: Plan, address: str) -> Any:
    return next(a for a in p.actions if a.address == address)


def test_partial_gets_a_topup_for_what_is_missing() -> None:
    p = plan(spec(REORDER), record("c/f", "Partial", 570))
    topup = of(p, "c/f+1")
    assert topup.kind is Kind.CREATE
    assert topup.units == 570
    assert topup.cost == Decimal("0.513")
    assert "570 missing" in topup.reason
    assert p.campaigns[0].cost == Decimal("0.513")
    assert not [c for c in p.checks if c.address == "c/f+1"]


def test_canceled_with_nothing_delivered_is_topped_up_whole() -> None:
    p = plan(spec(REORDER), record("c/f", "Canceled", 1000))
    assert of(p, "c/f+1").units == 1000


def test_without_on_partial_the_plan_only_notes() -> None:
    orders = "  - {id: f, service: 1, link: https://x/f, quantity: 1000}\n"
    p = plan(spec(orders), record("c/f", "Partial", 570))
    assert [a.address for a in p.actions] == ["c/f"]


def test_never_for_a_running_order() -> None:
    for status in ("Pending", "In progress", "Processing"):
        p = plan(spec(REORDER), record("c/f", status, 570))
        assert [a.address for a in p.actions] == ["c/f"], status


def test_fresh_status_wins_over_the_recorded_one() -> None:
    fresh = {501: OrderInfo(OrderStatus.PARTIAL, 400, 0, Decimal("0.3"), "USD")}
    p = plan(spec(REORDER), record("c/f", "In progress", 900), fresh=fresh)
    assert of(p, "c/f+1").units == 400


def test_never_twice_for_one_shortfall() -> None:
    # The top-up was placed and is running: nothing more, whatever the first one says.
    c = spec(REORDER)
    first = record("c/f", "Partial", 570)
    running = record("c/f+1", "In progress", 300, units=570, order_id=502)
    p = plan(c, first, running)
    assert of(p, "c/f+1").kind is Kind.NOOP
    assert [a.address for a in p.actions] == ["c/f", "c/f+1"]
    # Partial, then Completed (a refund reversed), then Partial again: the chain counts
    # once, and the finished top-up covers it.
    done = record("c/f+1", "Completed", 0, units=570, order_id=502)
    for status, remains in (("Completed", 0), ("Partial", 570)):
        p = plan(c, record("c/f", status, remains), done)
        assert [a.kind for a in p.actions] == [Kind.NOOP, Kind.NOOP], status


def test_the_topup_falls_short_too_then_a_second() -> None:
    c = spec(REORDER)
    short = record("c/f+1", "Partial", 170, units=570, order_id=502)
    p = plan(c, record("c/f", "Partial", 570), short)
    assert of(p, "c/f+2").units == 170
    # max_topups (2) reached: a warning says so, nothing is ordered.
    third = record("c/f+2", "Partial", 100, units=170, order_id=503)
    p = plan(c, record("c/f", "Partial", 570), short, third)
    assert not [a for a in p.actions if a.kind is Kind.CREATE]
    assert any("all 2 top-ups are used" in w.message for w in p.checks)


def test_max_topups_is_honoured() -> None:
    c = spec(REORDER.replace("reorder}", "reorder, max_topups: 1}"))
    short = record("c/f+1", "Partial", 170, units=570, order_id=502)
    p = plan(c, record("c/f", "Partial", 570), short)
    assert not [a for a in p.actions if a.kind is Kind.CREATE]


def test_a_rejected_topup_is_placed_again_at_its_address() -> None:
    c = spec(REORDER)
    refused = record("c/f+1", None, None, units=570, order_id=None, phase=Phase.REJECTED)  # type: ignore[arg-type]
    p = plan(c, record("c/f", "Partial", 570), refused)
    assert of(p, "c/f+1").kind is Kind.CREATE
    assert not any(a.address == "c/f+2" for a in p.actions)


def test_below_the_service_minimum_the_plan_says_so() -> None:
    p = plan(spec(REORDER), record("c/f", "Partial", 20))
    assert [a.address for a in p.actions] == ["c/f"]
    assert any("below service 1's minimum of 50" in w.message for w in p.checks)


def test_remains_larger_than_the_quantity_is_not_counted() -> None:
    p = plan(spec(REORDER), record("c/f", "Partial", 5000))
    assert not [a for a in p.actions if a.kind is Kind.CREATE]
    assert any("5000 remain of 1000" in w.message for w in p.checks)


def test_negative_remains_never_order_more() -> None:
    p = plan(spec(REORDER), record("c/f", "Partial", -40))
    assert not [a for a in p.actions if a.kind is Kind.CREATE]


def test_a_topup_whose_service_vanished_is_a_warning_not_an_error() -> None:
    c = spec(REORDER)
    by_address = {"c/f": record("c/f", "Partial", 570)}
    from dataclasses import replace

    by_address["c/f"] = replace(by_address["c/f"], fingerprint=c.orders[0].fingerprint())
    catalog = {k: v for k, v in CATALOG.items() if k != 1}
    facts = {"demo": PanelFacts("demo", catalog, Balance(Decimal("100"), "USD"), {})}
    p = make_plan([c], by_address, facts, now=NOW, state=StateInfo("l", 1))
    assert not [a for a in p.actions if a.kind is Kind.CREATE]
    assert any("no longer in the catalog" in w.message for w in p.checks)
    assert not any(ch.level == "error" for ch in p.checks)


def test_a_topup_beyond_the_budget_is_not_ordered() -> None:
    c = spec(REORDER, extra="budget: 0.60\n")
    p = plan(c, record("c/f", "Partial", 570))
    assert of(p, "c/f+1").kind is Kind.NOOP
    assert any("beyond campaign c's budget" in w.message for w in p.checks)
    assert not any(ch.level == "error" for ch in p.checks)


def test_topups_are_not_orphans() -> None:
    p = plan(spec(REORDER), record("c/f", "Partial", 570), record("c/f+1", "Completed", 0, 570))
    assert not [a for a in p.actions if a.kind is Kind.ORPHAN]


def test_drip_feed_tops_up_at_once() -> None:
    orders = (
        "  - {id: f, service: 1, link: https://x/f, quantity: 100, "
        "drip_feed: {runs: 10, interval: 60}, on_partial: reorder}\n"
    )
    p = plan(spec(orders), record("c/f", "Partial", 300))
    topup = of(p, "c/f+1")
    assert topup.units == 300 and "drip_feed" not in topup.fields


# --- scheduled refills ---------------------------------------------------------------

SCHEDULED = (
    "  - {id: f, service: 1, link: https://x/f, quantity: 1000, "
    "auto_refill: {every: 7d, for: 30d}}\n"
)


def test_no_refill_in_the_first_period() -> None:
    placed = record("c/f", "Completed", 0, created_at="2026-11-22T12:00:00Z")
    assert of(plan(spec(SCHEDULED), placed), "c/f").kind is Kind.NOOP


def test_a_refill_each_period_within_the_window() -> None:
    placed = record("c/f", "Completed", 0, created_at="2026-11-18T12:00:00Z")
    action = of(plan(spec(SCHEDULED), placed), "c/f")
    assert action.kind is Kind.REFILL and "period 1" in action.reason


def test_asked_this_period_waits_for_the_next() -> None:
    asked = (RefillRecord("2026-11-26T10:00:00Z", 77, status="Completed"),)
    placed = record("c/f", "Completed", 0, created_at="2026-11-18T12:00:00Z", refills=asked)
    action = of(plan(spec(SCHEDULED), placed), "c/f")
    assert action.kind is Kind.NOOP and "next due 2026-12-02" in action.reason


def test_a_rejected_refill_is_not_retried_in_the_same_period() -> None:
    refused = (RefillRecord("2026-11-26T10:00:00Z", None, "Order not eligible for refill."),)
    placed = record("c/f", "Completed", 0, created_at="2026-11-18T12:00:00Z", refills=refused)
    action = of(plan(spec(SCHEDULED), placed), "c/f")
    assert action.kind is Kind.NOOP and "Order not eligible for refill." in action.reason
    # The next period asks again.
    later = make_plan(
        [spec(SCHEDULED)],
        {"c/f": _same(placed)},
        {"demo": PanelFacts("demo", CATALOG, Balance(Decimal("100"), "USD"), {})},
        now=NOW + _dt.timedelta(days=7),
        state=StateInfo("l", 1),
    )
    assert of(later, "c/f").kind is Kind.REFILL


def test_past_the_window_nothing() -> None:
    placed = record("c/f", "Completed", 0, created_at="2026-10-01T12:00:00Z")
    action = of(plan(spec(SCHEDULED), placed), "c/f")
    assert action.kind is Kind.NOOP and "window ended" in action.reason


def test_not_while_running_nor_on_a_service_without_refill() -> None:
    placed = record("c/f", "In progress", 10, created_at="2026-11-18T12:00:00Z")
    assert of(plan(spec(SCHEDULED), placed), "c/f").kind is Kind.NOOP
    no_refill = SCHEDULED.replace("service: 1", "service: 3")
    c = spec(no_refill)
    done = record("c/f", "Completed", 0, created_at="2026-11-18T12:00:00Z")
    p = plan(c, done)
    assert any("does not support refills" in ch.message and ch.level == "error" for ch in p.checks)


def _same(r: OrderRecord) -> OrderRecord:
    from dataclasses import replace

    return replace(r, fingerprint=spec(SCHEDULED).orders[0].fingerprint())


# --- with a service selector -----------------------------------------------------------

SELECTOR = (
    "  - {id: f, service: {match: followers}, link: https://x/f, quantity: 1000, "
    "on_partial: reorder}\n"
)


def selector_plan(catalog: dict[int, Any], remains: int) -> Plan:
    c = spec(SELECTOR)
    first = record("c/f", "Partial", remains)
    # Placed with service 1, as a selector's order records its choice.
    first = replace(first, spec={"units": 1000, "service": 1, "selector": {}})
    first = replace(first, fingerprint=c.orders[0].fingerprint())
    facts = {"demo": PanelFacts("demo", catalog, Balance(Decimal("100"), "USD"), {})}
    return make_plan([c], {"c/f": first}, facts, now=NOW, state=StateInfo("l", 1))


def test_a_selectors_topup_may_use_another_service() -> None:
    cheaper = Service(9, "Followers cheap", ServiceType.DEFAULT, "IG", Decimal("0.50"), 10, 5000)
    p = selector_plan({**CATALOG, 9: cheaper}, 570)
    topup = of(p, "c/f+1")
    assert topup.kind is Kind.CREATE and topup.service == 9 and topup.units == 570
    # The original's own service gone: the top-up still finds one.
    p = selector_plan({k: v for k, v in {**CATALOG, 9: cheaper}.items() if k != 1}, 570)
    assert of(p, "c/f+1").service == 9


def test_a_selectors_topup_no_service_fits_is_a_warning() -> None:
    p = selector_plan(CATALOG, 20)  # below every candidate's minimum
    topup = of(p, "c/f+1")
    assert topup.kind is Kind.NOOP and topup.reason.startswith("no top-up: ")
    assert not any(ch.level == "error" for ch in p.checks)
    assert any(ch.address == "c/f+1" and ch.level == "warning" for ch in p.checks)
