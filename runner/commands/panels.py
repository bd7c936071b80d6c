"""``smm services`` and ``smm balance``: look at a panel."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from runner.console import console, out

if TYPE_CHECKING:
    from runner.cli import Env
    from runner.panel.models import Service


def _yes(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "no")


def filter_services(catalog: list[Service], search: str | None, type_: str | None) -> list[Service]:
    from runner.panel.models import ServiceType

    result = catalog
    if search:
        needle = search.lower()
        result = [s for s in result if needle in s.name.lower() or needle in s.category.lower()]
    if type_:
        wanted = ServiceType(type_.replace("_", " "))
        result = [s for s in result if s.type == wanted]
    return sorted(result, key=lambda s: s.id)


def services(env: Env, panel: str, search: str | None, type_: str | None, fmt: str) -> None:
    with env.client(panel) as client:
        catalog = filter_services(client.services(), search, type_)
    if fmt == "json":
        out(json.dumps([s.to_json() for s in catalog], indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{panel}: {len(catalog)} services", title_justify="left")
    for name, justify in (
        ("ID", "right"),
        ("Name", "left"),
        ("Type", "left"),
        ("Category", "left"),
        ("Rate/1000", "right"),
        ("Min", "right"),
        ("Max", "right"),
        ("Refill", "center"),
        ("Cancel", "center"),
        ("Drip-feed", "center"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in catalog:
        table.add_row(
            str(s.id),
            s.name,
            str(s.type),
            s.category,
            str(s.rate),
            str(s.min),
            str(s.max),
            _yes(s.refill),
            _yes(s.cancel),
            _yes(s.dripfeed),
        )
    console().print(table)


def balance(env: Env, panel: str, fmt: str) -> None:
    with env.client(panel) as client:
        result = client.balance()
    if fmt == "json":
        out(
            json.dumps({"panel": panel, "balance": str(result.amount), "currency": result.currency})
        )
    else:
        out(f"{panel}: {result.amount} {result.currency}")
