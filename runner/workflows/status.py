"""``smm status``: where each recorded order stands, from the state (refreshed first on
request)."""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

from runner.config import campaign
from runner.delivery.rows import Overview, row_of, with_topups
from runner.state import open_readonly
from runner.workflows import campaigns
from runner.workflows.context import Context
from runner.workflows.refreshing import refresh_campaigns


def overview(
    ctx: Context, paths: Sequence[Path], *, refresh: bool = False, lock_timeout: float = 0.0
) -> Overview:
    """The rows of every recorded order of the campaigns under ``paths`` (every campaign
    in the state when no campaign folder exists), asking the panels first if ``refresh``."""
    budgets: dict[str, Decimal | None] = {}
    names: set[str] | None = None
    if paths or campaign.DEFAULT_PATH.exists():
        budgets = _budgets(ctx, paths)
        names = set(budgets)
    errors: tuple[str, ...] = ()
    if refresh:
        errors = tuple(refresh_campaigns(ctx, names, lock_timeout).panel_errors)
    now = _dt.datetime.now(_dt.UTC)
    reader = open_readonly(ctx.state_location)
    try:
        currencies = {seen.panel: seen.currency for seen in reader.balances() if seen.currency}
        # A row is all status shows of a record: the records are never all held.
        rows = with_topups(
            [row_of(r, now, currencies.get(r.panel)) for r in reader.each_record(names)]
        )
    finally:
        reader.close()
    return Overview(rows, budgets, errors)


def _budgets(ctx: Context, paths: Sequence[Path]) -> dict[str, Decimal | None]:
    """Each campaign's budget (the orders of its file are not kept: status reads them from
    the state)."""
    return {c.name: c.budget for c in campaigns.load(paths, ctx).campaigns}


def watch(
    ctx: Context,
    paths: Sequence[Path],
    first: Overview,
    *,
    interval: float = 5.0,
    lock_timeout: float = 0.0,
) -> Iterator[Overview]:
    """Refresh every ``interval`` seconds, yielding each new overview, until nothing will
    change by waiting (``Overview.finished``) or a refresh could not ask a panel (its
    orders would never change: the overview that says so is the last)."""
    view = first
    while not view.finished and not view.not_refreshed:
        time.sleep(interval)
        view = overview(ctx, paths, refresh=True, lock_timeout=lock_timeout)
        yield view
