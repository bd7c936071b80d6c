"""What needs a person after a refresh (`refresh --detailed-exitcode` exits 2), from plain
data."""

from __future__ import annotations

import datetime as _dt
from dataclasses import replace

from runner.plans.attention import needs_a_person
from runner.state import OrderRecord, Phase, RefillRecord
from tests.plans.test_planner import CATALOG, NOW, spec
from tests.plans.test_topups import REORDER, record

PLAIN = "  - {id: f, service: 1, link: https://x/f, quantity: 1000}\n"


def ask(orders: str, *records: OrderRecord, catalog: bool = True) -> list[str]:
    found = {r.address: r for r in records}
    return needs_a_person([spec(orders)], found, {"demo": CATALOG if catalog else None}, NOW)


def test_nothing_when_all_is_well() -> None:
    assert ask(PLAIN, record("c/f", "Completed", 0)) == []
    assert ask(PLAIN, record("c/f", "In progress", 500)) == []


def test_in_doubt() -> None:
    doubt = replace(record("c/f", None, None), phase=Phase.IN_DOUBT)
    assert ask(PLAIN, doubt) == ["c/f: in doubt (smm state import or smm state retry)"]


def test_partial_or_canceled_without_a_topup() -> None:
    assert ask(PLAIN, record("c/f", "Partial", 570)) == ["c/f: ended Partial, 570 missing"]
    assert ask(PLAIN, record("c/f", "Canceled", 1000)) == ["c/f: ended Canceled, 1000 missing"]


def test_a_topup_to_come_needs_nobody() -> None:
    assert ask(REORDER, record("c/f", "Partial", 570)) == []
    assert ask(REORDER, record("c/f", "Partial", 570), catalog=False) == []  # not cached


def test_a_topup_that_cannot_come() -> None:
    assert ask(REORDER, record("c/f", "Partial", 20)) == [
        "c/f: 20 missing, below service 1's minimum of 50: no top-up"
    ]
    assert ask(REORDER, record("c/f", "Partial", 5000)) == [
        "c/f: no top-up: c/f: the panel says 5000 remain of 1000 ordered"
    ]


def test_a_rejected_refill_until_one_is_accepted() -> None:
    refused = RefillRecord("2026-11-25T00:00:00Z", None, "Order not eligible for refill.")
    done = record("c/f", "Completed", 0, refills=(refused,))
    assert ask(PLAIN, done) == ["c/f: refill rejected (Order not eligible for refill.)"]
    later = RefillRecord("2026-11-26T00:00:00Z", 9, status="Completed")
    assert ask(PLAIN, replace(done, refills=(refused, later))) == []
    rejected = RefillRecord("2026-11-26T00:00:00Z", 9, status="Rejected")
    assert ask(PLAIN, replace(done, refills=(rejected,))) == ["c/f: refill rejected (Rejected)"]


def test_pending_past_stuck_after() -> None:
    placed = (NOW - _dt.timedelta(hours=30)).isoformat().replace("+00:00", "Z")
    stuck = record("c/f", "Pending", 1000, created_at=placed)
    assert ask(PLAIN, stuck) == [f"c/f: Pending since {placed}"]
    assert ask(PLAIN, replace(stuck, created_at=NOW.isoformat())) == []
