"""``smm report``: what the campaign files and the state say, gathered into a ``Report``
(refreshed from the panels first on request), drawn as one self-contained HTML page and
written where the user asked."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.config import campaign
from runner.config.campaign import CampaignSpec
from runner.errors import ReportError
from runner.plans import drift
from runner.plans.plan import Action, Kind
from runner.render.report.content import Attention, Desired, Report, build
from runner.state import BalanceSeen, OrderRecord, Phase, open_readonly
from runner.state.spectext import StoredSpec
from runner.workflows import campaigns, followup, panelfacts
from runner.workflows.context import Context
from runner.workflows.refreshing import refresh_campaigns


@dataclass(frozen=True)
class Written:
    report: Report
    path: Path
    size: int  # bytes
    not_refreshed: tuple[str, ...] = ()  # the panels a refresh could not ask, and why


def _desired(ctx: Context, paths: Sequence[Path]) -> tuple[Desired | None, list[CampaignSpec]]:
    """The campaigns under ``paths``; None when none were named and the default folder
    does not exist (then every campaign in the state is shown, without budgets)."""
    if not paths and not campaign.DEFAULT_PATH.exists():
        return None, []
    loaded = campaigns.load(paths, ctx)
    return Desired(
        budgets={c.name: c.budget for c in loaded.campaigns},
        fingerprints={o.address: o.fingerprint() for o in loaded.orders},
        locations={o.address: f"{o.location.file}:{o.location.line}" for o in loaded.orders},
        orders={c.name: len(c.orders) for c in loaded.campaigns},
        panels={c.name: tuple(sorted({o.panel for o in c.orders})) for c in loaded.campaigns},
    ), loaded.campaigns


def gather(
    ctx: Context,
    paths: Sequence[Path],
    *,
    refresh: bool = False,
    lock_timeout: float = 0.0,
    errors: list[str] | None = None,
) -> Report:
    """The report of the campaigns under ``paths`` (every campaign in the state when no
    campaign folder exists), asking the panels first if ``refresh``."""
    desired, specs = _desired(ctx, paths)
    names = None if desired is None else set(desired.budgets)
    notes: list[str] = []
    if refresh:
        refreshed = refresh_campaigns(ctx, names, lock_timeout)
        notes += [f"not refreshed: {error}" for error in refreshed.panel_errors]
        if errors is not None:
            errors += refreshed.panel_errors
    reader = open_readonly(ctx.state_location)
    try:
        records = reader.records(names)
        history = reader.history(names)
        balances = reader.balances()
        where = reader.where
        memory = reader.services_seen()
        outcomes = dict(followup.reasons(ctx, reader, records, specs))
    finally:
        reader.close()
    if desired is not None:
        desired = dataclasses.replace(desired, outcomes=outcomes)
    report = build(
        records,
        history,
        balances,
        desired or Desired(budgets={}, fingerprints={}),
        state=where,
        now=_dt.datetime.now(_dt.UTC),
        notes=notes,
    )
    found = drifted(ctx, records.values(), memory, balances)
    return dataclasses.replace(report, attention=(*report.attention, *found)) if found else report


def _service(record: OrderRecord) -> object:
    """The service a record was placed with (its parsed spec not kept: a large state's
    would be 120 MB)."""
    service = record.spec.get("service")
    if isinstance(record.spec, StoredSpec):
        record.spec.unparse()
    return service


def drifted(
    ctx: Context,
    records: Iterable[OrderRecord],
    memory: Mapping[tuple[str, int], Mapping[str, Any]],
    balances: Iterable[BalanceSeen],
) -> list[Attention]:
    """Catalog drift of the services the recorded orders use, from the cached catalogs
    (offline: as the last plan or apply saw them)."""
    uses = [
        Action(r.address, Kind.NOOP, r.panel, service=service, campaign=r.campaign)
        for r in records
        if r.phase is Phase.PLACED and isinstance(service := _service(r), int)
    ]
    currencies = {b.panel: b.currency for b in balances}
    cache = panelfacts.cache_for(ctx.project)
    catalogs = {}
    for panel in sorted({a.panel for a in uses}):
        config = ctx.project.panels.get(panel)
        listed = cache.get(panel, config.url, any_age=True) if config else None
        if listed is not None:
            services = {s.id: s for s in listed}
            catalogs[panel] = drift.Catalog(services, currencies.get(panel))
    return [
        Attention(
            d.addresses[0],
            "drift",
            d.message,
            (f"smm services {d.panel} --accept {d.service}",) if d.kind == "renamed" else (),
        )
        for d in drift.compare(uses, memory, catalogs)
    ]


def write(
    ctx: Context,
    paths: Sequence[Path],
    target: Path,
    *,
    refresh: bool = False,
    lock_timeout: float = 0.0,
) -> Written:
    """Gather the report and write its page to ``target`` (whole or not at all)."""
    from runner.render.report import page

    errors: list[str] = []
    report = gather(ctx, paths, refresh=refresh, lock_timeout=lock_timeout, errors=errors)
    data = page(report).encode()
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ReportError(f"cannot write {target}: {exc.strerror or exc}") from None
    return Written(report, target, len(data), tuple(errors))
