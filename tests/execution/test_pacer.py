"""The pacer's order, pure: look-alike groups interleave, one of a kind at a time, and a
panel's last two creates go last."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

from runner.execution.pacer import Pacer
from runner.plans.plan import Action, Kind


def create(address: str, quantity: int) -> Action:
    return Action(
        address, Kind.CREATE, "p", service=1, units=quantity, cost=Decimal(quantity) / 1000
    )


def pacer(creates: list[Action], limit: int = 1) -> Pacer:
    return Pacer(
        creates,
        lambda panel: True,
        {"p": 0.0},
        {},
        threading.Event(),
        identical_in_flight={"p": limit},
    )


def test_groups_interleave_and_the_last_two_go_last() -> None:
    creates = [create(a, q) for a, q in (("a1", 100), ("a2", 100), ("a3", 100))]
    creates += [create(b, 200) for b in ("b1", "b2")]
    creates += [create("c1", 300), create("c2", 400)]
    paced = pacer(creates)
    sent = []
    for action in paced.turns():
        sent.append(action.address)
        paced.ended(action, lost=False)
    assert sent == ["a1", "b1", "a2", "b2", "a3", "c1", "c2"]


def test_a_look_alike_waits_while_another_kind_goes() -> None:
    creates = [create("a1", 100), create("a2", 100), create("b1", 200), create("z1", 1)]
    creates += [create("z2", 2)]
    paced = pacer(creates)
    turns = paced.turns()
    first, second = next(turns), next(turns)
    assert (first.address, second.address) == ("a1", "b1")  # not a2: a1 is still out
    paced.ended(first, lost=False)
    assert next(turns).address == "a2"


def test_identical_in_flight_lets_several_out() -> None:
    creates = [create(f"a{i}", 100) for i in range(5)]
    paced = pacer(creates, limit=3)
    turns = paced.turns()
    assert [next(turns).address for _ in range(3)] == ["a0", "a1", "a2"]


def test_the_record_names_the_look_alike_it_was_sent_after() -> None:
    creates = [create("a1", 100), create("a2", 100), create("z1", 1), create("z2", 2)]
    paced = pacer(creates)
    marks = {}
    for action in paced.turns():
        marks[action.address] = paced.marks(action)
        paced.ended(action, lost=False)
    assert marks == {"a1": {}, "a2": {"after": "a1"}, "z1": {}, "z2": {}}
    # with several of a kind out at once, no send order is promised
    lifted = pacer(creates, limit=2)
    for action in lifted.turns():
        assert lifted.marks(action) == {}
        lifted.ended(action, lost=False)


def test_a_survey_precedes_the_first_look_alike_after_a_lost_one() -> None:
    """Due once per loss, for the lost kind only; a kind lost in an earlier apply too."""
    creates = [create(a, 100) for a in ("a1", "a2", "a3")] + [create("b1", 200)]
    creates += [create("z1", 1), create("z2", 2)]
    paced = pacer(creates)
    due = {}
    for action in paced.turns():
        due[action.address] = paced.survey_due(action)
        paced.ended(action, lost=action.address == "a1")
    assert due == {"a1": False, "b1": False, "a2": True, "a3": False, "z1": False, "z2": False}
    earlier = Pacer(
        creates[:2],
        lambda panel: True,
        {"p": 0.0},
        {},
        threading.Event(),
        lost_alikes={("p", 1, 100, Decimal("0.1")): [datetime.now(UTC)]},
    )
    first = next(earlier.turns())
    assert earlier.survey_due(first) and not earlier.survey_due(first)
