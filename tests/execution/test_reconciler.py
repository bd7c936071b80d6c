"""The pure reconciler, with plain data: windows, what is probed, and every verdict."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from runner.api.models import ItemError, OrderInfo, OrderStatus
from runner.execution.reconciler import Verdict, Window, decide, probe_plan, windows
from runner.state import Evidence, OrderRecord, Phase

T0 = _dt.datetime(2026, 11, 27, 12, 0, tzinfo=_dt.UTC)


def at(seconds: float) -> str:
    return (T0 + _dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def record(
    address: str,
    phase: Phase = Phase.IN_DOUBT,
    order_id: int | None = None,
    sent: float | None = 0.0,
    gave_up: float | None = 1.0,
    known: int | None = 100,
    cost: str = "0.09",
    units: int = 100,
) -> OrderRecord:
    return OrderRecord(
        address,
        address.split("/")[0],
        "demo",
        "fp",
        phase,
        {"units": units},
        order_id=order_id,
        estimated_cost=Decimal(cost),
        created_at=at(sent or 0.0),
        evidence=Evidence(
            None if sent is None else at(sent), None if gave_up is None else at(gave_up), known
        ),
    )


def info(charge: str = "0.09", remains: int = 100, status: str = "Pending") -> OrderInfo:
    return OrderInfo(OrderStatus(status), remains, 0, Decimal(charge), "USD")


def test_windows_come_from_the_orders_around_it() -> None:
    lost = record("c/d", sent=10, gave_up=11, known=100)
    before = record("c/a", Phase.PLACED, 150, sent=2, gave_up=5)  # answered before d left
    after = record("c/b", Phase.PLACED, 300, sent=12, gave_up=13)  # sent before d settled
    later = record("c/e", Phase.PLACED, 400, sent=20, gave_up=21)  # sent after it settled
    spans = windows([lost], [lost, before, after, later], settle=5, now=T0.replace(minute=1))
    assert spans["c/d"] == Window("c/d", 150, 400, True)
    unsettled = windows([lost], [lost], settle=5, now=T0 + _dt.timedelta(seconds=12))
    assert unsettled["c/d"].settled is False and unsettled["c/d"].high is None


def test_the_budget_decides_what_can_be_proven() -> None:
    small = Window("c/a", 100, 150, True)
    big = Window("c/b", 1000, 5000, True)
    ids = probe_plan({"c/a": small, "c/b": big}, budget_calls=5)
    assert len(ids) <= 500
    # the small one whole, with the own orders at its ends; the big one only near its start
    assert set(range(100, 151)) <= set(ids)
    assert 4999 not in ids


def test_a_window_without_a_start_is_searched_below_its_end() -> None:
    ids = probe_plan({"c/a": Window("c/a", None, 20_000, True)}, budget_calls=50)
    assert ids and max(ids) == 19_999 and min(ids) >= 19_600


def verdicts(*args: object) -> dict[str, Verdict]:
    return {d.address: d.verdict for d in decide(*args)}  # type: ignore[arg-type]


ENDS = {100: info(), 200: info()}  # the own orders that bound the window, answered


def test_every_verdict() -> None:
    d = record("c/d")
    span = {"c/d": Window("c/d", 100, 200, True)}
    gone = {i: ItemError("Incorrect order ID") for i in range(101, 200)}
    claimed = [100, 200]
    # the one unclaimed own order that fits: import
    found = {**gone, **ENDS, 150: info()}
    assert verdicts([d], span, found, claimed) == {"c/d": Verdict.IMPORT}
    # claimed by another record: never imported; nothing unclaimed left: absent
    assert verdicts([d], span, found, [*claimed, 150]) == {"c/d": Verdict.ABSENT}
    # other customers' ids answer "Incorrect order ID": absent
    assert verdicts([d], span, {**gone, **ENDS}, claimed) == {"c/d": Verdict.ABSENT}
    # not probed whole: nothing proven
    assert verdicts([d], span, ENDS, claimed) == {"c/d": Verdict.UNDECIDED}
    # a charge that does not fit, or more left than ordered
    odd = {**gone, **ENDS, 150: info("0.50")}
    assert verdicts([d], span, odd, claimed) == {"c/d": Verdict.UNDECIDED}
    left = {**gone, **ENDS, 150: info(remains=150)}
    assert verdicts([d], span, left, claimed) == {"c/d": Verdict.UNDECIDED}
    # a partial order was refunded: a lower charge still fits
    partial = {**gone, **ENDS, 150: info("0.03", 60, "Partial")}
    assert verdicts([d], span, partial, claimed) == {"c/d": Verdict.IMPORT}


def test_more_left_to_deliver_than_ordered_is_never_this_order() -> None:
    """Past Pending (where any remains but the whole quantity already fails), an order
    with more left than ours ordered cannot be ours, whatever its charge says."""
    d = record("c/d", units=100)
    span = {"c/d": Window("c/d", 100, 200, True)}
    gone = {i: ItemError("Incorrect order ID") for i in range(101, 200)}
    for status in ("In progress", "Processing", "Partial", "Completed", "Canceled"):
        charge = "0.09" if status in ("In progress", "Processing", "Completed") else "0.05"
        over = {**gone, **ENDS, 150: info(charge, 101, status)}
        assert verdicts([d], span, over, [100, 200]) == {"c/d": Verdict.UNDECIDED}, status
        within = {**gone, **ENDS, 150: info(charge, 100, status)}
        assert verdicts([d], span, within, [100, 200]) == {"c/d": Verdict.IMPORT}, status


def test_an_answer_that_says_nothing_proves_nothing() -> None:
    """Ids missing from the answer, unreadable entries, or a panel that does not answer
    for the own orders at the window's ends: no absence can be proven."""
    d = record("c/d")
    span = {"c/d": Window("c/d", 100, 200, True)}
    gone = {i: ItemError("Incorrect order ID") for i in range(101, 200)}
    missing = {**gone, 150: ItemError("missing from the panel's answer", said=False)}
    assert verdicts([d], span, {**missing, **ENDS}, [100, 200]) == {"c/d": Verdict.UNDECIDED}
    unreadable = {**gone, 150: ItemError("unreadable status", said=False)}
    assert verdicts([d], span, {**unreadable, **ENDS}, [100, 200]) == {"c/d": Verdict.UNDECIDED}
    # every id "not ours", the own orders at the ends too: the panel is not answering
    blind = {i: ItemError("Incorrect order ID") for i in range(100, 201)}
    assert verdicts([d], span, blind, [100, 200]) == {"c/d": Verdict.UNDECIDED}
    # two own orders in a row: nothing can be between them, nothing to ask
    tight = {"c/d": Window("c/d", 100, 101, True)}
    assert verdicts([d], tight, {}, [100, 101]) == {"c/d": Verdict.ABSENT}


def test_identical_orders_are_never_guessed() -> None:
    a, b = record("c/a"), record("c/b")
    spans = {"c/a": Window("c/a", 100, 200, True), "c/b": Window("c/b", 100, 200, True)}
    found = {150: info(), 160: info(), **ENDS}
    assert verdicts([a, b], spans, found, [100, 200]) == {
        "c/a": Verdict.UNDECIDED,
        "c/b": Verdict.UNDECIDED,
    }
    # one candidate for two identical orders: which one is it?
    assert verdicts([a, b], spans, {150: info(), **ENDS}, [100, 200]) == {
        "c/a": Verdict.UNDECIDED,
        "c/b": Verdict.UNDECIDED,
    }


def test_a_request_still_in_the_panel_is_left_alone() -> None:
    d = record("c/d")
    span = {"c/d": Window("c/d", 100, 200, False)}
    assert verdicts([d], span, ENDS, [100, 200]) == {"c/d": Verdict.UNDECIDED}
