"""The pure reconciler, with plain data: windows, what is probed, and every verdict."""

from __future__ import annotations

import dataclasses
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
    # two own orders in a row: nothing can be between them, once the panel answers for
    # both as own orders (the same account)
    tight = {"c/d": Window("c/d", 100, 101, True)}
    assert verdicts([d], tight, {}, [100, 101]) == {"c/d": Verdict.UNDECIDED}
    ends = {100: info(), 101: info()}
    assert verdicts([d], tight, ends, [100, 101]) == {"c/d": Verdict.ABSENT}
    assert probe_plan(tight, 1) == [100, 101]


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


GONE = {i: ItemError("Incorrect order ID") for i in range(101, 200)}


def lookalikes(*lost: tuple[float, float]) -> tuple[list[OrderRecord], dict[str, Window]]:
    """Look-alikes in doubt (sent, gave up), each sent after the previous one settled
    (settle 5 s), between the own orders 100 and 200."""
    records = [record(f"c/l{n}", sent=s, gave_up=g) for n, (s, g) in enumerate(lost)]
    before = record("c/a", Phase.PLACED, 100, sent=-5, gave_up=-4)
    after = record("c/z", Phase.PLACED, 200, sent=100, gave_up=101)
    spans = windows(records, [*records, before, after], settle=5, now=T0.replace(minute=5))
    return records, spans


def test_look_alikes_in_doubt_are_matched_in_the_order_they_were_sent() -> None:
    records, spans = lookalikes((0, 1), (7, 8), (14, 15))
    assert all(s.bounded for s in spans.values())
    found = {**GONE, **ENDS, 120: info(), 130: info(), 170: info()}
    decisions = decide(records, spans, found, [100, 200])
    assert [(d.verdict, d.order_id) for d in decisions] == [
        (Verdict.IMPORT, 120),
        (Verdict.IMPORT, 130),
        (Verdict.IMPORT, 170),
    ]
    assert "send order of 3 look-alikes" in decisions[0].reason


def test_look_alikes_fewer_orders_than_requests_are_not_guessed() -> None:
    records, spans = lookalikes((0, 1), (7, 8))
    # one order for two look-alikes: either could own it
    found: dict[int, OrderInfo | ItemError] = {**GONE, **ENDS, 150: info()}
    decisions = decide(records, spans, found, [100, 200])
    assert {d.verdict for d in decisions} == {Verdict.UNDECIDED}
    assert all("fewer orders than requests" in d.reason for d in decisions)
    # an own order between them (placed after l0 settled, before l1 was sent) splits
    # them: each has one candidate
    records[1] = record("c/l1", sent=7, gave_up=8, known=140)
    mid = record("c/m", Phase.PLACED, 140, sent=6.2, gave_up=6.5)
    first = record("c/a", Phase.PLACED, 100, sent=-5, gave_up=-4)
    after = record("c/z", Phase.PLACED, 200, sent=100, gave_up=101)
    spans = windows(records, [*records, first, mid, after], settle=5, now=T0.replace(minute=5))
    found = {**GONE, **ENDS, 140: info(), 150: info()}
    assert verdicts(records, spans, found, [100, 140, 200]) == {
        "c/l0": Verdict.ABSENT,
        "c/l1": Verdict.IMPORT,
    }


def test_look_alikes_sent_together_are_never_guessed() -> None:
    records, spans = lookalikes((0, 1), (0.5, 1.5))  # the second left before the first ended
    found = {**GONE, **ENDS, 120: info(), 130: info()}
    assert verdicts(records, spans, found, [100, 200]) == {
        "c/l0": Verdict.UNDECIDED,
        "c/l1": Verdict.UNDECIDED,
    }


def test_never_imported_from_an_open_window() -> None:
    """No own order after the lost one: an order placed by hand on the same account,
    same service and quantity, looks exactly like ours."""
    d = record("c/d")
    span = {"c/d": Window("c/d", 100, None, True)}
    found: dict[int, OrderInfo | ItemError] = {
        i: ItemError("Incorrect order ID") for i in range(101, 500)
    }
    found |= {100: info(), 103: info()}
    (decision,) = decide([d], span, found, [100])
    assert decision.verdict is Verdict.UNDECIDED
    assert "never imported from" in decision.reason


def test_ids_that_go_down_prove_nothing() -> None:
    # the panel's URL changed under the same name: ids around 10,000 after 50,000
    d = record("c/d", known=50_000)
    old = record("c/o", Phase.PLACED, 50_000, sent=-20, gave_up=-19, known=None)
    later = record("c/e", Phase.PLACED, 10_008, sent=20, gave_up=21)
    spans = windows([d], [d, later, old], settle=5, now=T0.replace(minute=1))
    assert not spans["c/d"].bounded and probe_plan(spans, 50) == []
    (decision,) = decide([d], spans, {}, [10_008])
    assert decision.verdict is Verdict.UNDECIDED and "went down" in decision.reason
    # the records of that other account left out (as reconcile does): the lower bound
    # recorded from them is not trusted either
    spans = windows([d], [d, later], settle=5, now=T0.replace(minute=1))
    assert spans["c/d"].low is None and spans["c/d"].contradiction is None
    # a panel whose ids do not grow: every window on it is worthless
    a = record("c/a", Phase.PLACED, 300, sent=2, gave_up=3)
    b = record("c/b", Phase.PLACED, 250, sent=4, gave_up=5)  # sent after 300 was answered
    lost = record("c/d", known=None, sent=10, gave_up=11)
    c = record("c/c", Phase.PLACED, 400, sent=20, gave_up=21)
    spans = windows([lost], [a, b, lost, c], settle=5, now=T0.replace(minute=1))
    assert "ids went down" in str(spans["c/d"].contradiction)
    found = {i: ItemError("Incorrect order ID") for i in range(301, 400)}
    (decision,) = decide([lost], spans, {**found, 300: info(), 400: info()}, [300, 250, 400])
    assert decision.verdict is Verdict.UNDECIDED


def test_absence_needs_an_order_sent_after_the_settle_time() -> None:
    """A panel slower than timeout + settle: an own order sent before the lost request
    settled does not bound it."""
    d = record("c/d", sent=0, gave_up=3)
    early = record("c/e", Phase.PLACED, 150, sent=4, gave_up=4.5)  # inside the settle time
    spans = windows([d], [d, early], settle=120, now=T0.replace(minute=5))
    assert spans["c/d"].high is None
    (decision,) = decide([d], spans, {**GONE, **ENDS, 150: info()}, [150])
    assert decision.verdict is Verdict.UNDECIDED
    late = record("c/f", Phase.PLACED, 200, sent=124, gave_up=125)
    first = record("c/a", Phase.PLACED, 100, sent=-5, gave_up=-4)
    spans = windows([d], [d, first, early, late], settle=120, now=T0.replace(minute=5))
    (decision,) = decide([d], spans, {**GONE, **ENDS, 150: info()}, [100, 150, 200])
    assert decision.verdict is Verdict.ABSENT and "within 120 s" in decision.reason


def test_an_add_with_an_idempotency_key_bounds_no_window() -> None:
    """Sent again with its key, an add may be answered with the order of an earlier send:
    its id says nothing about when it was made."""
    lost = record("c/d", sent=10, gave_up=11, known=100)
    first = record("c/a", Phase.PLACED, 100, sent=2, gave_up=5)
    resent = dataclasses.replace(
        record("c/k", Phase.PLACED, 90, sent=20, gave_up=21), spec={"request_id": "k"}
    )
    spans = windows([lost], [lost, first, resent], settle=5, now=T0.replace(minute=1))
    assert spans["c/d"].high is None and spans["c/d"].contradiction is None


def test_look_alikes_abandoned_together_keep_their_recorded_send_order() -> None:
    """Killed after one look-alike's answer arrived (but before it was recorded) and
    while the next was out: both are abandoned at once, so their times cannot order
    them; the next one's record says which it was sent after."""
    first = record("c/a", Phase.PLACED, 100, sent=-5, gave_up=-4)
    l0 = record("c/l0", sent=0, gave_up=30)
    l1 = dataclasses.replace(record("c/l1", sent=1, gave_up=30), spec={"after": "c/l0"})
    l2 = dataclasses.replace(record("c/l2", sent=2, gave_up=30), spec={"after": "c/l1"})
    after = record("c/z", Phase.PLACED, 200, sent=100, gave_up=101)
    spans = windows([l0, l1, l2], [first, l0, l1, l2, after], 5, T0.replace(minute=5))
    found = {**GONE, **ENDS, 120: info(), 130: info(), 170: info()}
    decisions = decide([l0, l1, l2], spans, found, [100, 200])
    assert [(d.verdict, d.order_id) for d in decisions] == [
        (Verdict.IMPORT, 120),
        (Verdict.IMPORT, 130),
        (Verdict.IMPORT, 170),
    ]
    # without the recorded order, nothing can be told
    plain = [record(a, sent=s, gave_up=30) for a, s in (("c/l0", 0), ("c/l1", 1), ("c/l2", 2))]
    spans = windows(plain, [first, *plain, after], 5, T0.replace(minute=5))
    assert {d.verdict for d in decide(plain, spans, found, [100, 200])} == {Verdict.UNDECIDED}
