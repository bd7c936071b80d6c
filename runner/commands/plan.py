"""``smm plan``: what would be ordered, what it costs, and whether it is allowed."""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runner.console import console, out
from runner.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, SmmError

if TYPE_CHECKING:
    from runner.campaign import Loaded
    from runner.cli import Env
    from runner.panel.client import PanelClient
    from runner.plan import Plan
    from runner.state import StateReader


class InvalidCampaigns(SmmError):
    """Campaign files have errors (already printed)."""


@dataclass
class Planned:
    plan: Plan
    clients: dict[str, PanelClient]
    made_at: float  # time.monotonic() when the panels were asked

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def print_problems(loaded: Loaded) -> None:
    for problem in loaded.problems:
        out(str(problem))


def build(
    env: Env,
    paths: tuple[Path, ...],
    *,
    refresh: bool = True,
    refresh_services: bool = False,
    store: StateReader | None = None,
    apply_running: bool = False,
) -> Planned:
    """Load, ask the panels, plan.  Read-only apart from the services cache."""
    from runner import campaign, facts, lock, planner, state

    loaded = campaign.load(list(paths))
    if loaded.problems:
        print_problems(loaded)
        n = len(loaded.problems)
        raise InvalidCampaigns(f"{n} error{'s' if n != 1 else ''} in the campaign files")
    project = env.project
    reader: StateReader = store if store is not None else state.open_readonly(project.state_path)
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
        open_client=env.client,
        refresh_services=refresh_services,
        clients=clients,
    )
    running = apply_running or lock.held_by_someone(project.state_path)
    result = planner.make_plan(
        loaded.campaigns,
        records,
        gathered,
        now=_dt.datetime.now(_dt.UTC),
        state=info,
        apply_running=running,
    )
    return Planned(result, clients, made_at)


def show(plan: Plan, fmt: str) -> None:
    from runner import render

    if fmt == "json":
        out(render.as_json(plan))
    elif fmt == "markdown":
        out(render.markdown(plan))
    else:
        console().print(render.text(plan))


def save(plan: Plan, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(plan.to_json(), indent=2) + "\n")
    os.replace(tmp, path)


def run(
    env: Env,
    paths: tuple[Path, ...],
    out_file: Path | None,
    detailed: bool,
    no_refresh: bool,
    refresh_services: bool,
    fmt: str,
) -> int:
    try:
        planned = build(env, paths, refresh=not no_refresh, refresh_services=refresh_services)
    except InvalidCampaigns as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    planned.close()
    plan = planned.plan
    show(plan, fmt)
    if plan.errors:
        return EXIT_ERROR
    if out_file is not None:
        save(plan, out_file)
        if fmt == "text":
            out(f"Saved the plan to {out_file}; apply exactly it with: smm apply {out_file}")
    if detailed and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK
