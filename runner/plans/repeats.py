"""Repeating orders: which instances of a ``repeat:`` order are due at a moment.

An order with ``repeat`` stands for one order per period, addressed
``<campaign>/<id>@<period start, UTC ISO 8601>``.  At ``now`` the current period's
instance is due (once its start has come); an earlier period's instance is ordered only
with ``catch_up: true`` (at most ``MAX_CATCH_UP`` a plan), never otherwise: a runner that
missed a week does not order two weeks at once.  Instances already recorded stay known
(never orphans), whatever the schedule says now.  Pure: the moment is an argument.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from croniter import croniter

from runner.config.campaign import CampaignSpec, OrderSpec
from runner.config.schedule import Repeat
from runner.plans.plan import Action, Kind
from runner.state import OrderRecord

MAX_CATCH_UP = 100


def stamp(moment: _dt.datetime) -> str:
    """A period start as its instance's address writes it: UTC, seconds, a Z."""
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def starts(repeat: Repeat, since: _dt.datetime) -> Iterator[_dt.datetime]:
    """The period starts at or after ``since`` (and from ``repeat.start``), in order."""
    begin = max(since, repeat.start)
    if repeat.every is not None:
        step = repeat.every
        passed = (begin - repeat.start) // step
        moment = repeat.start + passed * step
        if moment < begin:
            moment += step
        while repeat.until is None or moment < repeat.until:
            yield moment
            moment += step
        return
    assert repeat.cron is not None
    walker = croniter(repeat.cron, begin - _dt.timedelta(seconds=1))
    while True:
        moment = walker.get_next(_dt.datetime).astimezone(_dt.UTC)
        if repeat.until is not None and moment >= repeat.until:
            return
        yield moment


def current(repeat: Repeat, now: _dt.datetime) -> _dt.datetime | None:
    """The start of the period ``now`` is in (None before the first one)."""
    if now < repeat.start:
        return None
    if repeat.every is not None:
        moment = repeat.start + ((now - repeat.start) // repeat.every) * repeat.every
    else:
        assert repeat.cron is not None
        walker = croniter(repeat.cron, now + _dt.timedelta(seconds=1))
        moment = walker.get_prev(_dt.datetime).astimezone(_dt.UTC)
        if moment < repeat.start:
            return None
    if repeat.until is not None and moment >= repeat.until:
        return None
    return moment


def following(repeat: Repeat, now: _dt.datetime) -> _dt.datetime | None:
    """The first period start after ``now``, if any."""
    return next(starts(repeat, now + _dt.timedelta(seconds=1)), None)


@dataclass
class Unfolded:
    """The campaigns with every repeating order replaced by its due instances; a wait
    per repeating order saying when its next instance is due; and the recorded instances
    no longer due (known, so not orphans)."""

    campaigns: list[CampaignSpec] = field(default_factory=list)
    waits: list[Action] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)


def unfold(
    campaigns: Sequence[CampaignSpec], records: Mapping[str, OrderRecord], now: _dt.datetime
) -> Unfolded:
    out = Unfolded()
    if not any(o.repeat is not None for c in campaigns for o in c.orders):
        out.campaigns = list(campaigns)
        return out
    recorded: dict[str, list[str]] = {}
    for address in records:
        base, at, _ = address.partition("@")
        if at:
            recorded.setdefault(base, []).append(address)
    for campaign in campaigns:
        orders: list[OrderSpec] = []
        for spec in campaign.orders:
            if spec.repeat is None:
                orders.append(spec)
                continue
            due = _due(spec, spec.repeat, recorded.get(spec.address, []), now)
            wanted = {f"{spec.address}@{stamp(m)}" for m in due}
            orders.extend(replace(spec, id=f"{spec.id}@{stamp(m)}") for m in due)
            out.kept.update(a for a in recorded.get(spec.address, []) if a not in wanted)
            wait = _next(spec, spec.repeat, now)
            if wait is not None:
                out.waits.append(wait)
        out.campaigns.append(replace(campaign, orders=tuple(orders)))
    return out


def _due(
    spec: OrderSpec, repeat: Repeat, recorded: list[str], now: _dt.datetime
) -> list[_dt.datetime]:
    """The instances to plan: the current period's, and with catch_up the missed ones
    since the latest recorded instance (or the start)."""
    present = current(repeat, now)
    if present is None:
        return []
    if not repeat.catch_up:
        return [present]
    latest = repeat.start
    prefix = f"{spec.address}@"
    for address in recorded:
        try:
            moment = _dt.datetime.fromisoformat(address.removeprefix(prefix).replace("Z", "+00:00"))
        except ValueError:
            continue
        latest = max(latest, moment)
    missed = []
    for moment in starts(repeat, latest):
        if moment > present:
            break
        missed.append(moment)
    return missed[-MAX_CATCH_UP:]


def _next(spec: OrderSpec, repeat: Repeat, now: _dt.datetime) -> Action | None:
    moment = following(repeat, now)
    if moment is None:
        return None  # the schedule has ended
    return Action(
        address=f"{spec.address}@{stamp(moment)}",
        kind=Kind.WAIT,
        panel=spec.panel,
        campaign=spec.campaign,
        # No service or link: nothing is active until it is due (not "the same link twice").
        reason=f"repeat {repeat.text}: next instance due {stamp(moment)}",
        location=spec.origin,
    )
