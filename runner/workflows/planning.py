"""``smm plan``: load, ask the panels, plan; save and read back saved plans."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.config.campaign import DEFAULT_PATH, CampaignSpec, OrderSpec
from runner.errors import ConfigError, PlanFileError
from runner.money import json_int
from runner.panel.client import PanelClient
from runner.plans import drift, moves, planner
from runner.plans.facts import PanelFacts
from runner.plans.limits import Targets, check_safety
from runner.plans.plan import Check, Kind, Plan
from runner.plans.selection import Exchange
from runner.state import (
    OrderRecord,
    Phase,
    StateReader,
    StateStore,
    model,
    open_readonly,
    open_store,
)
from runner.state import apply_running as lock_held
from runner.state.sqlread import campaign_of
from runner.workflows import campaigns, panelfacts
from runner.workflows import reconcile as reconciliation
from runner.workflows.context import Context


@dataclass
class Planned:
    plan: Plan
    clients: dict[str, PanelClient]
    made_at: float  # time.monotonic() when the panels were asked
    records: dict[str, OrderRecord]
    facts: dict[str, PanelFacts]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def build(
    ctx: Context,
    paths: Sequence[Path],
    *,
    refresh: bool = True,
    refresh_services: bool = False,
    store: StateReader | None = None,
    apply_running: bool = False,
    reconcile_first: bool = True,
    record_to: StateStore | None = None,
    targets: Sequence[str] = (),
    allow_over_limits: bool = False,
    expand: bool = False,
) -> Planned:
    """Load, reconcile in-doubt orders, ask the panels, plan.  Read-only apart from the
    services cache unless ``record_to`` is given (an apply holding the lock): then what
    reconciliation proves is recorded first; otherwise the plan shows what it would do
    and plans as if it had.  The clients stay open for an apply to use."""
    without_project(ctx, paths)
    loaded = campaigns.load(paths, ctx)
    scope = Targets(tuple(targets))
    chosen = scope.restrict(loaded.campaigns)
    project = ctx.project
    reader = store if store is not None else open_readonly(ctx.state_location)
    try:
        names = {c.name for c in loaded.campaigns}
        records = reader.records(names)
        reconciled = None
        if reconcile_first and any(r.phase is Phase.IN_DOUBT for r in records.values()):
            records, reconciled = _reconciled(ctx, reader, names, records, record_to)
        records, moved = _moved(loaded.campaigns, records, reader, names)
        info = reader.info()
        panels = {p for c in chosen for o in c.orders for p in o.panels}
        panels |= {r.panel for r in records.values() if r.phase is Phase.PLACED}
        ids = panelfacts.ids_to_refresh(records.values()) if refresh else {}
        clients: dict[str, PanelClient] = {}
        made_at = time.monotonic()
        gathered = panelfacts.gather(
            project,
            panels,
            ids,
            open_client=ctx.client,
            refresh_services=refresh_services,
            clients=clients,
        )
        running = apply_running or lock_held(ctx.state_location, names)
        result = planner.make_plan(
            chosen,
            records,
            gathered,
            now=_dt.datetime.fromtimestamp(model.wall(), _dt.UTC),
            state=info,
            apply_running=running,
            exchange=Exchange(project.currency, project.exchange),
            in_scope=scope.covers,
        )
        result = check_safety(result, chosen, project.safety, allow_over_limits)
        result = with_drift(result, reader.services_seen(), gathered)
        result = dataclasses.replace(
            result,
            targets=scope.names,
            allow_over_limits=allow_over_limits,
            paths=relative_paths(ctx, paths),
            reconciliation=() if reconciled is None else reconciled.summary(),
            moves=tuple(moved.moves),
            checks=result.checks
            + tuple(Check("error", r.message, r.location, r.address) for r in moved.refusals)
            + unasked(loaded.campaigns, gathered, result.checks),
        )
        if expand:
            result = expanded(result, loaded.orders)
    finally:
        if store is None:
            reader.close()
    return Planned(result, clients, made_at, records, gathered)


def _reconciled(
    ctx: Context,
    reader: StateReader,
    names: set[str],
    records: dict[str, OrderRecord],
    record_to: StateStore | None,
) -> tuple[dict[str, OrderRecord], reconciliation.Reconciled]:
    """Settle in-doubt orders first: recorded when an apply holds the lock (``record_to``),
    else planned as if recorded."""
    reconciled = reconciliation.reconcile(ctx, reader, names)
    if record_to is not None:
        reconciliation.record(record_to, reconciled)
        return reader.records(names), reconciled
    reconciled.dry_run = True
    return reconciliation.as_if_recorded(records, reconciled), reconciled


def covered(loaded: Sequence[CampaignSpec]) -> set[str]:
    """The campaigns an apply of ``loaded`` locks: theirs, and those of the old names of
    their ``moved:`` entries (those records move)."""
    return {c.name for c in loaded} | moves.sources(m for c in loaded for m in c.moved)


def record_moves(store: StateStore, plan: Plan) -> None:
    """The plan's moves, recorded in one batch (apply does it before anything else)."""
    if plan.moves:
        with store.transaction() as tx:
            for move in plan.moves:
                tx.move(move.source, move.target)


def unasked(
    loaded: Sequence[CampaignSpec], facts: Mapping[str, PanelFacts], checks: Sequence[Check]
) -> tuple[Check, ...]:
    """A panel that could not be asked is an error even when nothing is to be sent to it:
    the plan could not learn the statuses and the balance it would show.  One error per
    campaign and panel, at its first order's ``panel:``, unless the planner said it."""
    said = {(check.message, campaign_of(check.address or "")) for check in checks}
    found = []
    for campaign in loaded:
        for spec in campaign.orders:
            error = facts[spec.panel].error if spec.panel in facts else None
            if error is not None and (error, campaign.name) not in said:
                said.add((error, campaign.name))
                found.append(Check("error", error, spec.where("panel"), spec.address))
    return tuple(found)


def _moved(
    loaded: Sequence[CampaignSpec],
    records: dict[str, OrderRecord],
    reader: StateReader,
    names: set[str],
) -> tuple[dict[str, OrderRecord], moves.Resolved]:
    """The records as if the ``moved:`` entries were recorded (an old name may belong to
    a campaign that is not loaded: its records are read too, only those that move kept)."""
    entries = [entry for c in loaded for entry in c.moved]
    if not entries:
        return records, moves.Resolved(records)
    others = moves.sources(entries) - names
    combined = {**reader.records(others), **records} if others else records
    desired = {o.address for c in loaded for o in c.orders}
    resolved = moves.resolve(entries, combined, desired)
    kept = {a: r for a, r in resolved.records.items() if r.campaign in names}
    return kept, resolved


def without_project(ctx: Context, paths: Sequence[Path]) -> str | None:
    """A folder with no smm.yaml (here or above) and no campaigns: an error that says so
    and how to start.  With campaigns but no smm.yaml: a note (the built-in project, one
    simulated panel `demo`, is used), for the command to show."""
    if ctx.config is not None or ctx.project.file is not None:
        return None
    if not paths and not DEFAULT_PATH.exists():
        raise ConfigError(
            f"no smm.yaml in {Path.cwd()} or a parent folder, and no campaigns/ folder: "
            "start a project here with smm init"
        )
    return (
        "note: no smm.yaml here or in a parent folder: using the built-in project (one "
        "simulated panel, demo); smm init writes a project file"
    )


def with_drift(
    plan: Plan, memory: Mapping[tuple[str, int], Mapping[str, Any]], facts: Mapping[str, PanelFacts]
) -> Plan:
    """The plan with the catalog drift of the services it uses, as checks and data."""
    catalogs = {
        name: drift.Catalog(
            None if f.error else f.services, f.balance.currency if f.balance else None
        )
        for name, f in facts.items()
    }
    found = drift.compare(plan.actions, memory, catalogs)
    if not found:
        return plan
    users = {a.address: a for a in plan.actions}
    checks = []
    for item in found:
        acting = [users[a] for a in item.addresses if a in users]
        # Shown at an order still to be placed (the one the change matters to), if any.
        first = next((a for a in acting if a.kind is not Kind.NOOP), None)
        checks.append(item.check(first or (acting[0] if acting else None)))
    return dataclasses.replace(
        plan, checks=(*plan.checks, *checks), drift=tuple(d.to_json() for d in found)
    )


def remember(store: StateStore, plan: Plan, facts: Mapping[str, PanelFacts]) -> None:
    """What the catalogs say now about the services the plan uses, kept in the state:
    the next plan reports what changes from here."""
    seen: dict[str, dict[int, dict[str, Any]]] = {}
    for panel, ident in drift.used(plan.actions):
        f = facts.get(panel)
        service = f.services.get(ident) if f is not None and f.error is None else None
        if f is not None and service is not None:
            currency = f.balance.currency if f.balance else None
            seen.setdefault(panel, {})[ident] = drift.seen(service, currency)
    if seen:
        with store.transaction() as tx:
            for panel, services in sorted(seen.items()):
                tx.saw_services(panel, services)


def expanded(plan: Plan, orders: Sequence[OrderSpec]) -> Plan:
    """The plan with each order's fields on its action (a repeat's instance has its
    order's), for showing; creates have theirs already."""
    specs = {o.address: o for o in orders}

    def spec_of(address: str) -> dict[str, object] | None:
        spec = specs.get(address) or specs.get(address.partition("@")[0])
        return None if spec is None else spec.to_json() | {"address": address}

    actions = tuple(
        a if a.spec is not None else dataclasses.replace(a, spec=spec_of(a.address))
        for a in plan.actions
    )
    return dataclasses.replace(plan, actions=actions)


def relative_paths(ctx: Context, paths: Sequence[Path]) -> tuple[str, ...]:
    """The campaign paths as the project sees them (relative to its folder), so that a
    saved plan can be made again from the same files in another checkout."""
    root = ctx.project.root
    out = []
    for path in paths:
        absolute = path.resolve()
        try:
            out.append(str(absolute.relative_to(root)))
        except ValueError:
            out.append(str(absolute))
    return tuple(out)


def project_paths(ctx: Context, plan: Plan) -> tuple[Path, ...]:
    """The campaign paths a saved plan was made from, in this checkout."""
    return tuple(ctx.project.root / p for p in plan.paths)


def plan(
    ctx: Context,
    paths: Sequence[Path],
    *,
    refresh: bool = True,
    refresh_services: bool = False,
    to_save: bool = False,
    reconcile: bool = True,
    targets: Sequence[str] = (),
    allow_over_limits: bool = False,
    expand: bool = False,
) -> Plan:
    """The plan of the campaigns under ``paths``; nothing is written but the services
    cache, and (``to_save``) a new empty state when there is none: a saved plan belongs
    to one state, so there must be one to name.  ``expand``: every order's action
    carries its fields as checked (defaults applied, for_each filled), not only creates."""
    if to_save:
        open_store(ctx.state_location).close()
    planned = build(
        ctx,
        paths,
        refresh=refresh,
        refresh_services=refresh_services,
        reconcile_first=reconcile,
        targets=targets,
        allow_over_limits=allow_over_limits,
        expand=expand,
    )
    planned.close()
    return planned.plan


def save(plan: Plan, path: Path) -> None:
    """Write the plan as JSON, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as file:
        file.writelines(plan.json_chunks())
        file.write("\n")
    os.replace(tmp, path)


def is_plan_file(paths: Sequence[Path]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".json"


def load_saved(path: Path) -> Plan:
    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise ValueError(f"larger than {MAX_PLAN_BYTES // 2**20} MiB")
        return Plan.from_json(json.loads(path.read_bytes(), parse_int=json_int))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read it ({exc.strerror})") from None
    except (ValueError, RecursionError) as exc:
        raise PlanFileError(f"{path}: not a saved plan smm can apply ({str(exc)[:160]})") from None


MAX_PLAN_BYTES = 256 * 2**20
