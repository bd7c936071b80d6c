"""The events found in the state: the same fact keeps its key whatever the panel says
next, so it is sent once; a new fact (a new fall of the balance, a raised budget) is news."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from runner.notify import events
from runner.state import BalanceSeen, LastStatus, OrderRecord, Phase, RefillRecord


def order(status: str, remains: int | None, **kwargs: object) -> OrderRecord:
    return OrderRecord(
        "c/f",
        "c",
        "demo",
        "sha256:x",
        kwargs.pop("phase", Phase.PLACED),  # type: ignore[arg-type]
        {"units": 1000},
        order_id=501,
        last=LastStatus(status, remains, 0, Decimal("0.5"), "USD", "t"),
        created_at="2026-12-01T00:00:00Z",
        **kwargs,  # type: ignore[arg-type]
    )


def keys(found: list[events.Event]) -> list[str]:
    return [e.key for e in found]


def test_partial_then_completed_then_partial_is_one_event() -> None:
    first = keys(events.of_orders([order("Partial", 570)]))
    assert first == ["partial:c/f:501"]
    assert keys(events.of_orders([order("Completed", 0)])) == []
    assert keys(events.of_orders([order("Partial", 100)])) == first


def test_hostile_remains_never_break_the_message() -> None:
    said = {
        570: "Order 501 on demo, 430 of 1000 delivered.",
        5000: "Order 501 on demo, the panel says 5000 remain of 1000 ordered.",
        -40: "Order 501 on demo, 1000 of 1000 delivered.",
        None: "Order 501 on demo.",
    }
    for remains, body in said.items():
        (event,) = events.of_orders([order("Partial", remains)])
        assert event.key == "partial:c/f:501"
        assert event.body == body


def test_refills_rejected_by_the_panel_or_later() -> None:
    refused = RefillRecord("2026-12-02T00:00:00Z", None, "Order not eligible for refill.")
    later = RefillRecord("2026-12-03T00:00:00Z", 7, status="Rejected")
    done = RefillRecord("2026-12-04T00:00:00Z", 8, status="Completed")
    found = events.of_orders([order("Completed", 0, refills=(refused, later, done))])
    assert keys(found) == [
        "refill_rejected:c/f:2026-12-02T00:00:00Z",
        "refill_rejected:c/f:2026-12-03T00:00:00Z",
    ]
    assert "Order not eligible for refill." in found[0].body


def test_in_doubt_names_the_commands() -> None:
    (event,) = events.of_orders([replace(order("", None), phase=Phase.IN_DOUBT, last=None)])
    assert "smm state import c/f ORDER_ID" in event.body


def test_budget_at_90_percent_once_per_budget() -> None:
    spent = {"c": Decimal("4.50")}
    assert keys(events.of_budgets(spent, {"c": Decimal("5")})) == ["budget:c:5.00"]
    assert events.of_budgets(spent, {"c": Decimal("6")}) == []
    assert events.of_budgets(spent, {"c": None}) == []


def test_balance_below_once_per_fall() -> None:
    def seen(at: str, amount: str) -> BalanceSeen:
        return BalanceSeen("demo", at, Decimal(amount), "USD")

    low = [seen("1", "30"), seen("2", "15"), seen("3", "12")]
    (first,) = events.of_balances(low, Decimal(20))
    assert first.key == "balance_below:demo:20.00:2"  # the same fall, lower still
    assert events.of_balances([*low, seen("4", "50")], Decimal(20)) == []
    (again,) = events.of_balances([*low, seen("4", "50"), seen("5", "10")], Decimal(20))
    assert again.key != first.key
