"""What ``smm status`` prints: a table per campaign, Markdown, or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from runner.delivery import Overview, Row
from runner.money import format_amount
from runner.printable import clean, md
from runner.render.words import money

if TYPE_CHECKING:
    from rich.console import RenderableType

_STYLE = {
    "Completed": "green",
    "Partial": "yellow",
    "Canceled": "red",
    "Refunded": "red",
    "IN DOUBT": "bold magenta",
    "REJECTED": "bold red",
    "SUBMITTING": "magenta",
}


def _delivered(r: Row) -> str:
    return "-" if r.delivered is None else f"{r.delivered}/{r.ordered}"


def _currency(view: Overview, name: str) -> str | None:
    """The campaign's one currency (a campaign is priced in one), if a panel told it."""
    return next((r.currency for r in view.of(name) if r.currency), None)


def _caption(view: Overview, name: str) -> str:
    currency = _currency(view, name)
    caption = f"Spent {money(view.spent(name), currency)}"
    budget = view.budgets.get(name)
    if budget is not None:
        caption += f" of a budget of {money(budget, currency)}"
    return caption + "."


def tables(view: Overview) -> RenderableType:
    """A table per campaign: every number, id and address whole at any width."""
    from rich.console import Group
    from rich.markup import escape as markup
    from rich.text import Text

    from runner.render.table import Column, table

    def escape(value: object) -> str:
        return markup(clean(value))

    if not view.campaigns:
        return Group("No orders recorded yet. Run smm apply first.")
    parts: list[Any] = []
    for name in view.campaigns:
        currency = _currency(view, name)
        rows = []
        for r in view.of(name):
            style = _STYLE.get(r.status, "")
            status = f"[{style}]{escape(r.status)}[/]" if style else escape(r.status)
            rows.append(
                [
                    escape(r.address),
                    str(r.order_id or "-"),
                    status,
                    _delivered(r),
                    "-" if r.charge is None else format_amount(r.charge),
                    escape(r.refills),
                    r.age,
                ]
            )
        columns = [
            Column("Address", "address"),
            Column("Order", "number"),
            Column("Status"),
            Column("Delivered", "number"),
            Column(f"Charge {escape(currency)}" if currency else "Charge", "number"),
            Column("Refills"),
            Column("Age", "number"),
        ]
        if parts:
            parts.append("")
        parts.append(table(columns, rows, title=escape(name), caption=escape(_caption(view, name))))
        # Notes are sentences: under the table, where they read whole.
        parts += [
            Text(f"{clean(r.address)}: {clean(r.note)}", overflow="fold")
            for r in view.of(name)
            if r.note
        ]
    return Group(*parts)


def markdown(view: Overview) -> str:
    lines = ["### smm status", ""]
    for name in view.campaigns:
        budget = view.budgets.get(name)
        lines += [
            f"**{md(name)}**: spent {format_amount(view.spent(name))}"
            + (f" of budget {format_amount(budget)}" if budget is not None else ""),
            "",
            "| address | order | status | delivered | charge | refills |",
            "|---|---:|---|---:|---:|---|",
        ]
        for r in view.of(name):
            charge = "-" if r.charge is None else format_amount(r.charge)
            lines.append(
                f"| `{r.address}` | {r.order_id or '-'} | {md(r.status)} | {_delivered(r)} | "
                f"{charge} | {md(r.refills)} |"
            )
        lines.append("")
    return "\n".join(lines)


def as_json(view: Overview) -> str:
    campaigns = []
    for name in view.campaigns:
        budget = view.budgets.get(name)
        campaigns.append(
            {
                "campaign": name,
                "spent": str(view.spent(name)),
                "budget": None if budget is None else str(budget),
            }
        )
    return json.dumps(
        {"orders": [r.to_json() for r in view.rows], "campaigns": campaigns}, indent=2
    )
