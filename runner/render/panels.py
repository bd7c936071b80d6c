"""What ``smm services`` and ``smm balance`` print."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from runner.api.models import Balance, Service
from runner.printable import clean
from runner.render.words import money, plural

if TYPE_CHECKING:
    from rich.table import Table


def services_json(catalog: list[Service]) -> str:
    return json.dumps([s.to_json() for s in catalog], indent=2)


def _options(s: Service) -> str:
    """What a service allows besides ordering ("-" when the panel says nothing)."""
    flags = (("refill", s.refill), ("cancel", s.cancel), ("drip-feed", s.dripfeed))
    if all(flag is None for _, flag in flags):
        return "-"
    return " ".join(name for name, flag in flags if flag) or "none"


def services_table(panel: str, catalog: list[Service], currency: str | None = None) -> Table:
    """The catalog by category (a bold line heads each), in the order the panel lists it."""
    from rich.markup import escape as markup

    from runner.render.table import Column, table

    def escape(value: object) -> str:
        return markup(clean(value))

    by_category: dict[str, list[Service]] = {}
    for s in catalog:
        by_category.setdefault(s.category, []).append(s)
    rows: list[list[str]] = []
    for category, services in by_category.items():
        rows.append(["", f"[bold]{escape(category or 'no category')}:[/]", *[""] * 5])
        rows += [
            [
                str(s.id),
                escape(s.name),
                escape(str(s.type)),
                str(s.rate),
                str(s.min),
                str(s.max),
                _options(s),
            ]
            for s in services
        ]
    unit = f"{clean(currency)} " if currency else ""
    return table(
        [
            Column("ID", "number"),
            Column("Service"),
            Column("Type"),
            Column("Rate", "number"),
            Column("Min", "number"),
            Column("Max", "number"),
            Column("Options"),
        ],
        rows,
        title=escape(f"{panel}: {plural(len(catalog), 'service')}"),
        caption=f"Rate: {unit}per 1000 units (a package: its price).",
    )


def nothing_matched(
    panel: str, total: int, types: Sequence[str], search: str | None, type_: str | None
) -> str:
    """Why ``smm services`` printed no service: what was asked, what the catalog has."""
    asked = " and ".join(
        part
        for part in (
            f"--search {search!r}" if search else "",
            f"--type {type_!r}" if type_ else "",
        )
        if part
    )
    if not total:
        return clean(f"{panel}: the panel lists no services.")
    line = f"{panel}: no service matches {asked} (of {plural(total, 'service')}"
    if type_ and types:
        line += f"; types: {', '.join(t.lower() for t in types)}"
    return clean(line + ").")


def balance_json(panel: str, balance: Balance) -> str:
    return json.dumps(
        {"panel": panel, "balance": str(balance.amount), "currency": balance.currency}
    )


def balance_text(panel: str, balance: Balance) -> str:
    return clean(f"{panel}: {money(balance.amount, balance.currency)}")


def accepted(panel: str, service: Service) -> str:
    """One service accepted as the catalog says it now (``smm services --accept``)."""
    return f"Accepted service {service.id} on {clean(panel)} as it is now: {clean(service.name)}"
