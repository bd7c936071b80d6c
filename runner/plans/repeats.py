"""Repeating orders: which instances of a ``repeat:`` order are due at a moment.

An order with ``repeat`` stands for one order per period, addressed
``<campaign>/<id>@<period start, UTC ISO 8601>``.  At ``now`` the current period's
instance is due (once its start has come); an earlier period's instance is ordered only
with ``catch_up: true`` (at most ``MAX_CATCH_UP`` a plan), never otherwise: a runner that
missed a week does not order two weeks at once.  Instances already recorded stay known
(never orphans), whatever the schedule says now; an instance placed before the order was
edited is not a conflict: it was ordered as the file said then, and the edit is for the
instances to come.  Pure: the moment is an argument.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from croniter import CroniterError, croniter

from runner.config.campaign import CampaignSpec, OrderSpec
from runner.config.schedule import Repeat, first_match
from runner.plans.plan import Action, Kind
from runner.state import OrderRecord, Phase

MAX_CATCH_UP = 100


def stamp(moment: _dt.datetime) -> str:
    """A period start as its instance's address writes it: UTC, seconds, a Z."""
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def previous(repeat: Repeat, moment: _dt.datetime) -> _dt.datetime | None:
    """The period start before ``moment`` (None before the first)."""
    if repeat.every is not None:
        earlier = moment - repeat.every
    else:
        assert repeat.cron is not None
        try:
            earlier = croniter(repeat.cron, moment).get_prev(_dt.datetime).astimezone(_dt.UTC)
        except (CroniterError, OverflowError):
            return None
    return earlier if earlier >= repeat.start else None


def current(repeat: Repeat, now: _dt.datetime) -> _dt.datetime | None:
    """The start of the period ``now`` is in (None before the first one, or after
    ``until``)."""
    if now < repeat.start:
        return None
    if repeat.every is not None:
        moment: _dt.datetime | None = (
            repeat.start + ((now - repeat.start) // repeat.every) * repeat.every
        )
    else:
        moment = previous(repeat, now + _dt.timedelta(seconds=1))
    if moment is None or (repeat.until is not None and moment >= repeat.until):
        return None
    return moment


def following(repeat: Repeat, now: _dt.datetime) -> _dt.datetime | None:
    """The first period start after ``now`` (and before ``until``), if any."""
    if now < repeat.start and repeat.every is not None:
        moment: _dt.datetime | None = repeat.start
    elif repeat.every is not None:
        moment = repeat.start + ((now - repeat.start) // repeat.every + 1) * repeat.every
    else:
        assert repeat.cron is not None
        moment = first_match(repeat.cron, max(now, repeat.start - _dt.timedelta(seconds=1)))
    if moment is None or (repeat.until is not None and moment >= repeat.until):
        return None
    return moment


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
            due = due_instances(spec.repeat, recorded.get(spec.address, []), spec.address, now)
            wanted = set()
            for moment in due:
                address = f"{spec.address}@{stamp(moment)}"
                record = records.get(address)
                placed = record is not None and record.phase is Phase.PLACED
                if placed and record is not None and record.fingerprint != spec.fingerprint():
                    continue  # placed as the file said then; an edit is for the next ones
                wanted.add(address)
                orders.append(replace(spec, id=f"{spec.id}@{stamp(moment)}"))
            out.kept.update(a for a in recorded.get(spec.address, []) if a not in wanted)
            wait = _next(spec, spec.repeat, now)
            if wait is not None:
                out.waits.append(wait)
        out.campaigns.append(replace(campaign, orders=tuple(orders)))
    return out


def due_instances(
    repeat: Repeat, recorded: Sequence[str], address: str, now: _dt.datetime
) -> list[_dt.datetime]:
    """The instances to plan: the current period's; with catch_up also the missed ones
    since the latest recorded instance (or the start), walked back from now, at most
    ``MAX_CATCH_UP`` (a schedule of every minute since 1970 costs nothing)."""
    present = current(repeat, now)
    if present is None:
        return []
    if not repeat.catch_up:
        return [present]
    latest = repeat.start
    prefix = f"{address}@"
    for address in recorded:
        try:
            moment = _dt.datetime.fromisoformat(address.removeprefix(prefix).replace("Z", "+00:00"))
        except ValueError:
            continue
        latest = max(latest, moment)
    due: list[_dt.datetime] = []
    walked: _dt.datetime | None = present
    while walked is not None and walked >= latest and len(due) < MAX_CATCH_UP:
        due.append(walked)
        walked = previous(repeat, walked)
    return due[::-1]


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
