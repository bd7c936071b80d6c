"""``smm plan``: load, ask the panels, plan; save and read back saved plans."""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from runner import planner
from runner.errors import PlanFileError
from runner.panel.client import PanelClient
from runner.plan import Plan
from runner.state import StateReader, open_readonly
from runner.state import apply_running as lock_held
from runner.workflows import campaigns, facts
from runner.workflows.context import Context


@dataclass
class Planned:
    plan: Plan
    clients: dict[str, PanelClient]
    made_at: float  # time.monotonic() when the panels were asked

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
) -> Planned:
    """Load, ask the panels, plan.  Read-only apart from the services cache; the clients
    stay open for an apply to use."""
    loaded = campaigns.load(paths)
    project = ctx.project
    reader = store if store is not None else open_readonly(ctx.state_location)
    names = {c.name for c in loaded.campaigns}
    records = reader.records(names)
    info = reader.info()
    panels = {o.panel for o in loaded.orders}
    ids = facts.ids_to_refresh(records.values()) if refresh else {}
    clients: dict[str, PanelClient] = {}
    made_at = time.monotonic()
    gathered = facts.gather(
        project,
        panels,
        ids,
        open_client=ctx.client,
        refresh_services=refresh_services,
        clients=clients,
    )
    running = apply_running or lock_held(ctx.state_location, names)
    result = planner.make_plan(
        loaded.campaigns,
        records,
        gathered,
        now=_dt.datetime.now(_dt.UTC),
        state=info,
        apply_running=running,
    )
    return Planned(result, clients, made_at)


def plan(
    ctx: Context, paths: Sequence[Path], *, refresh: bool = True, refresh_services: bool = False
) -> Plan:
    """The plan of the campaigns under ``paths``; nothing is written but the services
    cache."""
    planned = build(ctx, paths, refresh=refresh, refresh_services=refresh_services)
    planned.close()
    return planned.plan


def save(plan: Plan, path: Path) -> None:
    """Write the plan as JSON, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(plan.to_json(), indent=2) + "\n")
    os.replace(tmp, path)


def is_plan_file(paths: Sequence[Path]) -> bool:
    return len(paths) == 1 and paths[0].is_file() and paths[0].suffix == ".json"


def load_saved(path: Path) -> Plan:
    try:
        return Plan.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlanFileError(f"{path}: not a saved plan ({exc})") from None
