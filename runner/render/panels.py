"""What ``smm services`` and ``smm balance`` print."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from runner.api.models import Balance, Service
from runner.money import format_amount
from runner.printable import clean

if TYPE_CHECKING:
    from rich.table import Table


def _yes(flag: bool | None) -> str:
    return "-" if flag is None else ("yes" if flag else "no")


def services_json(catalog: list[Service]) -> str:
    return json.dumps([s.to_json() for s in catalog], indent=2)


def services_table(panel: str, catalog: list[Service]) -> Table:
    from rich.markup import escape as markup
    from rich.table import Table

    def escape(value: object) -> str:
        return markup(clean(value))

    table = Table(title=escape(f"{panel}: {len(catalog)} services"), title_justify="left")
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
            escape(s.name),
            escape(str(s.type)),
            escape(s.category),
            str(s.rate),
            str(s.min),
            str(s.max),
            _yes(s.refill),
            _yes(s.cancel),
            _yes(s.dripfeed),
        )
    return table


def balance_json(panel: str, balance: Balance) -> str:
    return json.dumps(
        {"panel": panel, "balance": str(balance.amount), "currency": balance.currency}
    )


def balance_text(panel: str, balance: Balance) -> str:
    return clean(f"{panel}: {format_amount(balance.amount)} {balance.currency}")
