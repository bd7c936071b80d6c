"""Which instances of a repeating order are due: pure, the moment an argument."""

from __future__ import annotations

import datetime as _dt
import time

from runner.config.schedule import EPOCH, Repeat, parse
from runner.plans import repeats

UTC = _dt.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> _dt.datetime:
    return _dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def every(days: float = 0, minutes: int = 0, **kw: object) -> Repeat:
    step = _dt.timedelta(days=days, minutes=minutes)
    start = kw.get("start", EPOCH)
    until = kw.get("until")
    assert isinstance(start, _dt.datetime) and (until is None or isinstance(until, _dt.datetime))
    return Repeat(step, None, start, until, bool(kw.get("catch_up")), "every")


def test_period_boundaries() -> None:
    weekly = every(7, start=at(2027, 1, 4, 9))
    assert repeats.current(weekly, at(2027, 1, 4, 8, 59)) is None
    assert repeats.following(weekly, at(2027, 1, 4, 8, 59)) == at(2027, 1, 4, 9)
    assert repeats.current(weekly, at(2027, 1, 4, 9)) == at(2027, 1, 4, 9)
    assert repeats.current(weekly, at(2027, 1, 11, 8, 59)) == at(2027, 1, 4, 9)
    assert repeats.following(weekly, at(2027, 1, 4, 9)) == at(2027, 1, 11, 9)
    ended = every(7, start=at(2027, 1, 4, 9), until=at(2027, 1, 11, 9))
    assert repeats.current(ended, at(2027, 1, 11, 9)) is None
    assert repeats.following(ended, at(2027, 1, 5)) is None


def test_cron_periods() -> None:
    monday, _ = parse({"cron": "0 9 * * 1"}, None)
    assert monday is not None
    assert repeats.current(monday, at(2027, 1, 4, 9)) == at(2027, 1, 4, 9)
    assert repeats.current(monday, at(2027, 1, 4, 8, 59)) == at(2026, 12, 28, 9)
    assert repeats.following(monday, at(2027, 1, 4, 9)) == at(2027, 1, 11, 9)
    weekly, _ = parse({"cron": "@weekly"}, None)
    assert weekly is not None and weekly.cron == "@weekly"


def test_catch_up_is_bounded_and_never_hangs() -> None:
    minutely = every(minutes=1, catch_up=True)
    started = time.monotonic()
    due = repeats.due_instances(minutely, [], "c/o", at(2027, 1, 1))
    assert len(due) == repeats.MAX_CATCH_UP and due[-1] == at(2027, 1, 1)
    assert time.monotonic() - started < 1
    # Since the latest recorded instance only.
    recorded = ["c/o@2026-12-31T23:58:00Z", "c/o@garbage"]
    assert repeats.due_instances(minutely, recorded, "c/o", at(2027, 1, 1)) == [
        at(2026, 12, 31, 23, 58),
        at(2026, 12, 31, 23, 59),
        at(2027, 1, 1),
    ]


def test_never_matching_cron_and_bad_bounds_are_refused() -> None:
    _, problems = parse({"cron": "0 0 30 2 *"}, None)
    assert problems == [("cron", "'0 0 30 2 *' never matches (is the day in the month?)")]
    _, problems = parse({"cron": "* * * * * *"}, None)
    assert problems and "is not a cron expression" in problems[0][1]
    _, problems = parse({"every": "1d", "cron": "@daily"}, None)
    assert problems and "either every" in problems[0][1]
    repeat, problems = parse({"every": "1d", "until": "2027-02-01"}, at(2027, 1, 1))
    assert not problems and repeat is not None
    assert repeat.start == at(2027, 1, 1) and repeat.until == at(2027, 2, 1)
