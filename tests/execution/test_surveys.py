"""Surveys between look-alikes, with plain data: what one rules out for the request before
it and the one after it, what it never rules out, and surveys that cannot be read."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from runner.api.models import ItemError, OrderInfo
from runner.errors import PanelError
from runner.execution.reconciler import Verdict, decide, windows
from runner.execution.surveys import AHEAD, MOST, surveys_of, take
from runner.state import OrderRecord, Phase
from tests.execution.test_reconciler import T0, at, info, record

# Two look-alikes lost in a row (a sent at 0, b at 3 once a surely ended), one order made
# between them (id 150), c sent at 6 once b surely ended and answered 200.
LOW, HIGH, MADE = 100, 200, 150


def survey(start: float, own: list[int], unsure: list[int] | None = None) -> dict[str, Any]:
    return {
        "at": at(start),
        "answered": at(start + 0.1),
        "after": LOW,
        "to": LOW + 300,
        "own": own,
        "unsure": unsure or [],
    }


def scene(own: list[int], unsure: list[int] | None = None) -> list[OrderRecord]:
    first = record("c/a", sent=0, gave_up=0.5, known=LOW)
    second = record("c/b", sent=3, gave_up=3.5, known=LOW)
    second = dataclasses.replace(
        second, spec={**second.spec, "after": "c/a", "survey": survey(2.9, own, unsure)}
    )
    seed = record("s/x", Phase.PLACED, LOW, sent=-2, gave_up=-1.9, known=None)
    bound = record("c/c", Phase.PLACED, HIGH, sent=6, gave_up=6.1, known=LOW)
    return [first, second, seed, bound]


def judge(records: list[OrderRecord]) -> dict[str, tuple[Verdict, int | None]]:
    doubtful = [r for r in records if r.phase is Phase.IN_DOUBT]
    spans = windows(doubtful, records, settle=2, now=T0 + _dt.timedelta(minutes=1))
    probed: dict[int, OrderInfo | ItemError] = {
        i: ItemError("Incorrect order ID") for i in range(LOW + 1, HIGH)
    }
    probed |= {LOW: info(), HIGH: info(), MADE: info()}
    found = decide(doubtful, spans, probed, {LOW, HIGH})
    return {d.address: (d.verdict, d.order_id) for d in found}


def test_the_order_the_survey_saw_is_the_first_ones() -> None:
    assert judge(scene(own=[LOW, MADE])) == {
        "c/a": (Verdict.IMPORT, MADE),
        "c/b": (Verdict.ABSENT, None),
    }


def test_an_order_made_after_the_survey_is_the_second_ones() -> None:
    assert judge(scene(own=[LOW])) == {
        "c/a": (Verdict.ABSENT, None),
        "c/b": (Verdict.IMPORT, MADE),
    }


@pytest.mark.parametrize("unsure", [[MADE], list(range(LOW + 1, LOW + 301))])
def test_ids_the_survey_could_not_read_rule_nothing_out(unsure: list[int]) -> None:
    assert judge(scene(own=[LOW], unsure=unsure)) == {
        "c/a": (Verdict.UNDECIDED, None),
        "c/b": (Verdict.UNDECIDED, None),
    }


def test_a_survey_not_reaching_the_order_rules_nothing_out() -> None:
    records = scene(own=[LOW])
    second = records[1]
    short = {**second.spec["survey"], "to": MADE - 1}
    records[1] = dataclasses.replace(second, spec={**second.spec, "survey": short})
    assert {v for v, _ in judge(records).values()} == {Verdict.UNDECIDED}


def test_a_survey_taken_before_the_first_request_surely_ended_says_nothing_of_it() -> None:
    """Settle 2 s after giving up at 0.5: a survey at 2.4 may predate the first's order."""
    records = scene(own=[LOW])
    second = records[1]
    early = {**second.spec["survey"], "at": at(2.4), "answered": at(2.45)}
    records[1] = dataclasses.replace(second, spec={**second.spec, "survey": early})
    # The first's order may have come after the survey; the second's cannot be MADE-less
    # proven either: nothing is decided, nothing imported.
    assert all(order is None for _, order in judge(records).values())


@pytest.mark.parametrize(
    "damage",
    [
        "not a survey",
        {"at": "yesterday"},
        {"after": -1},
        {"after": True},
        {"to": 50},
        {"own": "150"},
        {"own": [150.0]},
        {"unsure": None},
        {"answered": at(0)},  # answered before it was asked
    ],
)
def test_a_damaged_survey_is_left_out(damage: object) -> None:
    good = survey(2.9, [LOW, MADE])
    data = damage if not isinstance(damage, dict) else {**good, **damage}
    holder = dataclasses.replace(record("c/b"), spec={"survey": data})
    assert surveys_of([holder]) == []
    assert len(surveys_of([dataclasses.replace(holder, spec={"survey": good})])) == 1


Answer = Callable[[int], OrderInfo | ItemError | None]


class Panel:
    """The one seam a survey uses: ``status_many``, answered as a test says: read by
    read, the last answer for every later one.  The lost ones' start (``LOW``) is an own
    order."""

    def __init__(self, *reads: Answer) -> None:
        self.reads = reads
        self.calls: list[list[int]] = []

    @property
    def asked(self) -> list[int]:
        return self.calls[0]

    def status_many(self, ids: Iterable[int]) -> dict[int, OrderInfo | ItemError]:
        self.calls.append(list(ids))
        answer = self.reads[min(len(self.calls), len(self.reads)) - 1]
        found = {i: info() if i == LOW else answer(i) for i in self.calls[-1]}
        return {i: a for i, a in found.items() if a is not None}


NONE = ItemError("Incorrect order ID")
UNREADABLE = ItemError("unreadable", said=False)


def only(order_id: int, answer: OrderInfo | ItemError | None) -> Answer:
    """``answer`` for ``order_id``, "no such order" for every other id."""
    return lambda i: answer if i == order_id else NONE


def stamps() -> Callable[[], str]:
    moments = iter(range(100))
    return lambda: at(next(moments))


def test_a_survey_asks_above_the_lost_ones_start_and_keeps_what_the_panel_said() -> None:
    panel = Panel(lambda i: info() if i in (LOW + 5, LOW + 9) else NONE)
    taken = take(panel, LOW, LOW + 5, stamps())  # type: ignore[arg-type]
    asked = list(range(LOW, LOW + 5 + AHEAD + 1))  # its start too: an order known to exist
    assert panel.calls == [asked, asked]  # twice; they agree, so no third read
    assert taken["survey"]["own"] == [LOW + 5, LOW + 9] and taken["survey"]["unsure"] == []
    holder = dataclasses.replace(record("c/b"), spec=taken)
    (read,) = surveys_of([holder])
    assert read.after == LOW and read.to == LOW + 5 + AHEAD and read.at < read.answered


@pytest.mark.parametrize(
    "reads",
    [
        [lambda i: info()],  # a panel that answers for every id, even ids never given out
        [lambda i: None if i > LOW + 200 else NONE],  # the top left out
        [lambda i: UNREADABLE],
        [lambda i: info() if i > LOW + 200 else NONE],  # the top an order
        [only(LOW + AHEAD, info()), only(LOW + AHEAD, NONE), only(LOW + AHEAD, info())],
    ],
)
def test_a_panel_that_answers_for_ids_it_never_gave_out_gets_no_survey(
    reads: list[Answer],
) -> None:
    assert take(Panel(*reads), LOW, LOW, stamps()) == {}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "start", [NONE, UNREADABLE, None, [info(), NONE, NONE], [NONE, info(), UNREADABLE]]
)
def test_a_panel_that_does_not_answer_an_order_known_to_exist_gets_no_survey(
    start: OrderInfo | ItemError | list[OrderInfo | ItemError] | None,
) -> None:
    """The start of the survey is an own order: answered otherwise (down, lagging, every
    id answered as none), the panel's "no such order" proves nothing."""
    answers = start if isinstance(start, list) else [start]

    class Lagging(Panel):
        def status_many(self, ids: Iterable[int]) -> dict[int, OrderInfo | ItemError]:
            found = super().status_many(ids)
            answer = answers[min(len(self.calls), len(answers)) - 1]
            found.pop(LOW)
            return found if answer is None else {**found, LOW: answer}

    assert take(Lagging(lambda i: NONE), LOW, LOW, stamps()) == {}  # type: ignore[arg-type]


def test_a_survey_the_panel_does_not_answer_is_skipped() -> None:
    class Down:
        def status_many(self, ids: Iterable[int]) -> dict[int, OrderInfo | ItemError]:
            raise PanelError("demo", "connection refused")

    assert take(Down(), LOW, LOW, stamps()) == {}  # type: ignore[arg-type]


def test_a_survey_is_bounded_however_far_the_known_ids_moved() -> None:
    panel = Panel(lambda i: ItemError("Incorrect"))
    take(panel, LOW, LOW + 50_000, stamps())  # type: ignore[arg-type]
    assert panel.asked == list(range(LOW, LOW + MOST + 1))


def test_an_add_with_an_idempotency_key_may_own_an_order_seen_before_it() -> None:
    """Sent again with its key, it may be answered with the order its first send made."""
    records = scene(own=[LOW, MADE])
    second = records[1]
    records[1] = dataclasses.replace(second, spec={**second.spec, "request_id": "k"})
    doubtful = [r for r in records if r.phase is Phase.IN_DOUBT]
    spans = windows(doubtful, records, settle=2, now=T0 + _dt.timedelta(minutes=1))
    assert spans["c/b"].allows(MADE) and not spans["c/a"].allows(MADE + 20)


@pytest.mark.parametrize(
    ("reads", "own", "unsure"),
    [
        # One wrong "no such order" (a hiccup, a status lagging behind its order), in
        # either read: the third decides.
        ([NONE, info(), info()], [MADE], []),
        ([info(), NONE, info()], [MADE], []),
        # One wrong order (a stray entry) for an id with none: not the next one's order.
        ([info(), NONE, NONE], [], []),
        ([NONE, info(), NONE], [], []),
        # Two reads that agree on nothing rule nothing out.
        ([NONE, info(), UNREADABLE], [], [MADE]),
        ([UNREADABLE, NONE, None], [], [MADE]),
        ([UNREADABLE, UNREADABLE, info()], [], [MADE]),
        # Two agreeing reads after an unreadable one.
        ([UNREADABLE, NONE, NONE], [], []),
    ],
)
def test_what_two_reads_agree_on_is_kept(
    reads: list[OrderInfo | ItemError | None], own: list[int], unsure: list[int]
) -> None:
    panel = Panel(*(only(MADE, answer) for answer in reads))
    taken = take(panel, LOW, LOW, stamps())  # type: ignore[arg-type]
    assert taken["survey"]["own"] == own and taken["survey"]["unsure"] == unsure
    assert panel.calls[2:] == [[MADE]]  # a third read, of the disputed id only


@pytest.mark.parametrize(
    ("reads", "verdicts"),
    [
        # The first's order answered "no such order" once: it is still the first's.
        (
            [NONE, info(), info()],
            {"c/a": (Verdict.IMPORT, MADE), "c/b": (Verdict.ABSENT, None)},
        ),
        # The second's order (made after the survey) answered as an order once: it is
        # still the second's.
        (
            [info(), NONE, NONE],
            {"c/a": (Verdict.ABSENT, None), "c/b": (Verdict.IMPORT, MADE)},
        ),
    ],
)
def test_one_wrong_answer_in_a_survey_moves_no_order(
    reads: list[OrderInfo | ItemError], verdicts: dict[str, tuple[Verdict, int | None]]
) -> None:
    """Taken as proof, the wrong answer would give the order to the other request and
    have one placed twice."""
    panel = Panel(*(only(MADE, answer) for answer in reads))
    records = scene(own=[])
    second = records[1]
    taken = take(panel, LOW, LOW, lambda: at(2.9))  # type: ignore[arg-type]
    records[1] = dataclasses.replace(second, spec={**second.spec, **taken})
    assert judge(records) == verdicts


def test_an_id_below_an_own_order_the_survey_saw_existed_then() -> None:
    """Ids grow: an own order below one the survey saw existed when it was taken, whatever
    the panel answered for it, so the survey does not rule it out for the first request
    (nor for the second, which it could not be: the survey answered before it was sent)."""
    records = scene(own=[MADE + 10])
    doubtful = [r for r in records if r.phase is Phase.IN_DOUBT]
    spans = windows(doubtful, records, settle=2, now=T0 + _dt.timedelta(minutes=1))
    assert spans["c/a"].allows(MADE) and spans["c/a"].allows(MADE - 30)
    assert not spans["c/a"].allows(MADE + 20)  # above it: "no such order" twice stands
