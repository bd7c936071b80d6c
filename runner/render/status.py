"""What ``smm status`` prints: a table per campaign, Markdown, or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from runner.delivery import Overview, Row
from runner.money import format_amount
from runner.printable import clean, md

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


def _caption(view: Overview, name: str) -> str:
    mine = view.of(name)
    budget = view.budgets.get(name)
    currency = next((r.currency for r in mine if r.currency), "")
    caption = f"spent {format_amount(view.spent(name))} {clean(currency or '')}".rstrip()
    if budget is not None:
        caption += f" of budget {format_amount(budget)}"
    return caption


def tables(view: Overview) -> RenderableType:
    from rich.console import Group
    from rich.markup import escape as markup

    def escape(value: object) -> str:
        return markup(clean(value))

    from rich.table import Table

    if not view.campaigns:
        return Group("No orders recorded yet. Run smm apply first.")
    parts: list[Any] = []
    for name in view.campaigns:
        table = Table(
            title=escape(name),
            caption=escape(_caption(view, name)),
            title_justify="left",
            caption_justify="left",
        )
        for column, justify in (
            ("Address", "left"),
            ("Order", "right"),
            ("Status", "left"),
            ("Delivered", "right"),
            ("Charge", "right"),
            ("Refills", "left"),
            ("Age", "right"),
            ("Note", "left"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for r in view.of(name):
            style = _STYLE.get(r.status, "")
            status = f"[{style}]{escape(r.status)}[/]" if style else escape(r.status)
            table.add_row(
                escape(r.address),
                str(r.order_id or "-"),
                status,
                _delivered(r),
                "-" if r.charge is None else format_amount(r.charge),
                escape(r.refills),
                r.age,
                escape(r.note),
            )
        parts.append(table)
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
