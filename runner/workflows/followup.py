"""After a refresh or an apply: tell the receivers of ``notify:`` what happened (each event
once), and say what needs a person (``refresh --detailed-exitcode``).

Both read the state as the run left it, under the run's lock.  Neither ever fails the
run: a receiver's trouble, or campaign files that cannot be read, are warnings.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from runner.api.models import Service
from runner.clock import parse_moment
from runner.config import campaign
from runner.config.campaign import CampaignSpec
from runner.errors import SmmError
from runner.execution.results import ApplyResult, Result
from runner.money import format_amount
from runner.notify import events
from runner.notify.send import Delivery, Sender, deliver
from runner.plans import attention as attention_of
from runner.state import OrderRecord, StateReader, StateStore, now_iso
from runner.workflows import campaigns
from runner.workflows.context import Context
from runner.workflows.panelfacts import cache_for


def specs_under(paths: Sequence[Path], warnings: list[str]) -> list[CampaignSpec]:
    """The campaigns under ``paths`` (none when there is no campaign folder); a file that
    cannot be read is a warning here (plan and apply say what is wrong with it)."""
    if not paths and not campaign.DEFAULT_PATH.exists():
        return []
    try:
        return campaigns.load(paths).campaigns
    except SmmError as exc:
        warnings.append(f"campaign files not read ({exc.message}): budgets and top-ups unknown")
        return []


def found_events(
    ctx: Context,
    records: Mapping[str, OrderRecord],
    specs: Sequence[CampaignSpec],
    store: StateStore,
    extra: Sequence[events.Event] = (),
) -> list[events.Event]:
    spent: dict[str, Decimal] = {}
    for record in records.values():
        spent[record.campaign] = spent.get(record.campaign, Decimal(0)) + record.spent
    found = events.of_orders(records.values())
    found += events.of_budgets(spent, {c.name: c.budget for c in specs})
    thresholds = {r.balance_below for r in ctx.project.notify if r.balance_below is not None}
    if thresholds:
        balances = store.balances()
        for below in sorted(thresholds):
            found += events.of_balances(balances, below)
    return [*found, *extra]


def notify(
    ctx: Context,
    store: StateStore,
    records: Mapping[str, OrderRecord],
    specs: Sequence[CampaignSpec],
    extra: Sequence[events.Event] = (),
    send: Sender | None = None,
) -> Delivery:
    """Send what the receivers have not heard yet; warnings for what could not be sent."""
    receivers = ctx.project.notify
    if not receivers:
        return Delivery()
    found = found_events(ctx, records, specs, store, extra)
    try:
        return deliver(receivers, found, store, send)
    except SmmError as exc:  # the state refused the claims: nothing was sent
        return Delivery(warnings=[f"notify: nothing sent ({exc.message}); tried again next run"])


def after_apply(
    ctx: Context,
    store: StateStore,
    names: set[str],
    paths: Sequence[Path] | None,
    report: ApplyResult | None,
    warnings: list[str],
) -> None:
    """Notify after an apply: what the state shows now, and what this apply did (its
    warnings get what could not be sent).  ``paths``: the campaign files (None: a saved
    plan, whose files are not read again)."""
    specs = [] if paths is None else specs_under(paths, warnings)
    extra = []
    if report is not None and report.outcomes:
        counts = [f"{n} {result.words}" for result, n in _counts(report) if n]
        lines = [f"{', '.join(counts)}."]
        if report.spent:
            unit = f" {report.currency}" if report.currency else ""
            lines.append(f"Spent {format_amount(report.spent)}{unit}.")
        lines += [f"{o.address}: {o.result.words} {o.message}".rstrip() for o in report.failed]
        extra.append(events.apply_summary(uuid.uuid4().hex, lines[:50]))
    sent = notify(ctx, store, store.records(names), specs, extra)
    warnings.extend(sent.warnings)


def _counts(report: ApplyResult) -> list[tuple[Result, int]]:
    return [(result, report.count(result)) for result in Result]


def catalogs(
    ctx: Context, specs: Sequence[CampaignSpec]
) -> dict[str, Mapping[int, Service] | None]:
    """The cached catalog of each panel the campaigns use (None: not cached; nothing is
    asked of a panel here)."""
    cache = cache_for(ctx.project)
    found: dict[str, Mapping[int, Service] | None] = {}
    for name in sorted({o.panel for c in specs for o in c.orders}):
        panel = ctx.project.panels.get(name)
        listed = cache.get(name, panel.url, any_age=True) if panel is not None else None
        found[name] = None if listed is None else {s.id: s for s in listed}
    return found


def attention(
    ctx: Context,
    store: StateReader,
    records: Mapping[str, OrderRecord],
    specs: Sequence[CampaignSpec],
) -> list[str]:
    """What needs a person, a line each."""
    return [f"{address}: {why}" for address, why in reasons(ctx, store, records, specs)]


def reasons(
    ctx: Context,
    store: StateReader,
    records: Mapping[str, OrderRecord],
    specs: Sequence[CampaignSpec],
) -> list[tuple[str, str]]:
    """Each address that needs a person, and why."""
    # The state's clock: the one its times were written with.
    now = parse_moment(now_iso(store.clock_offset)) or _dt.datetime.now(_dt.UTC)
    found = catalogs(ctx, specs)
    return attention_of.reasons(specs, records, found, now, ctx.project.stuck_after)
