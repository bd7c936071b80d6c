"""Requests a panel refuses as real panels do: a second refill while one is under way, and
a subscription's expiry that is malformed or past."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from runner.sim.refills import REFILL_BUSY
from tests.sim.conftest import KEY_A, KEY_B, START, Panel

BUSY = {"error": REFILL_BUSY}


def completed(panel: Panel, link: str = "https://instagram.com/a") -> int:
    order = panel.add(KEY_A, service=1, link=link)
    panel.clock[0] += 3600
    assert panel.call(KEY_A, "status", order=order)["status"] == "Completed"
    return order


def test_a_second_refill_is_refused_while_one_is_under_way(panel: Panel) -> None:
    order = completed(panel)
    first = panel.call(KEY_A, "refill", order=order)["refill"]
    assert panel.call(KEY_A, "refill", order=order) == BUSY
    panel.clock[0] += 2  # 2 sim-minutes: In progress now
    assert panel.call(KEY_A, "refill_status", refill=first) == {"status": "In progress"}
    assert panel.call(KEY_A, "refill", order=order) == BUSY
    panel.clock[0] += 10  # Completed: a new refill may start
    assert panel.call(KEY_A, "refill_status", refill=first) == {"status": "Completed"}
    second = panel.call(KEY_A, "refill", order=order)["refill"]
    assert int(second) > int(first)


def test_batch_refill_refuses_per_order(panel: Panel) -> None:
    busy = completed(panel, "https://instagram.com/busy")
    free = completed(panel, "https://instagram.com/free")
    panel.call(KEY_A, "refill", order=busy)
    answer = panel.call(KEY_A, "refill", orders=f"{busy},{free},{free}")
    assert answer[0] == {"order": busy, "refill": BUSY}
    assert answer[1]["order"] == free and isinstance(answer[1]["refill"], int)
    assert answer[2] == {"order": free, "refill": BUSY}  # the same order twice in one call


def test_another_keys_refill_is_not_ours_to_block(panel: Panel) -> None:
    mine = completed(panel)
    theirs = panel.add(KEY_B, service=1, link="https://instagram.com/a")
    panel.clock[0] += 3600
    assert "refill" in panel.call(KEY_B, "refill", order=theirs)
    assert "refill" in panel.call(KEY_A, "refill", order=mine)


NOW = datetime(2026, 3, 15, 12, 30, tzinfo=UTC)


def subscription(panel: Panel, expiry: str) -> object:
    if panel.clock[0] == START:
        panel.clock[0] = NOW.timestamp()
    return panel.call(
        KEY_A,
        "add",
        service=18,
        username="acme",
        min=20,
        max=100,
        posts=2,
        delay=30,
        expiry=expiry,
    )


def day(offset: int) -> str:
    return (NOW + timedelta(days=offset)).strftime("%d/%m/%Y")


@pytest.mark.parametrize(
    "expiry",
    [
        day(-1),
        "01/01/2020",
        "2099-12-31",
        "31/02/2099",
        "1/13/2099",
        "12/31/2099",
        "tomorrow",
        "31/12/99",
        "00/01/2099",
    ],
)
def test_a_bad_or_past_expiry_is_refused(panel: Panel, expiry: str) -> None:
    assert subscription(panel, expiry) == {"error": "Incorrect expiry date"}
    assert panel.inspect() == []


@pytest.mark.parametrize("expiry", [day(0), day(1), "31/12/2099", "1/2/2099"])
def test_a_future_expiry_is_accepted(panel: Panel, expiry: str) -> None:
    answer = subscription(panel, expiry)
    assert isinstance(answer, dict) and "order" in answer


def test_expiry_follows_the_panels_clock(panel: Panel) -> None:
    panel.clock[0] = time.time()
    today = datetime.now(UTC)
    assert "order" in subscription(panel, today.strftime("%d/%m/%Y"))  # type: ignore[operator]
    yesterday = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    assert subscription(panel, yesterday) == {"error": "Incorrect expiry date"}
