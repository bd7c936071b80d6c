"""What ``smm status`` prints: a table per campaign, Markdown, or JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from runner.delivery.rows import Overview, Row
from runner.jsonstream import Items, chunks
from runner.money import format_amount
from runner.printable import clean, md
from runner.render.words import money, plural
from runner.state import Phase

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
    shown = r.shown_delivered
    if shown is None:
        return "-"
    extra = f" (with {plural(len(r.topups), 'top-up')})" if r.topups else ""
    return f"{shown}/{r.ordered}{extra}"


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
    from rich.text import Text

    from runner.render.table import Column, PlainTable

    if not view.campaigns:
        return Group("No orders recorded yet. Run smm apply first.")
    parts: list[Any] = []
    styles = {2: lambda status: _STYLE.get(status, "")}
    for name in view.campaigns:
        currency = _currency(view, name)
        rows = [
            [
                clean(r.address),
                str(r.order_id or "-"),
                clean(r.status),
                _delivered(r),
                "-" if r.charge is None else format_amount(r.charge),
                clean(r.refills),
                r.age,
            ]
            for r in view.of(name)
        ]
        columns = [
            Column("Address", "address"),
            Column("Order", "number"),
            Column("Status"),
            Column("Delivered", "number"),
            Column(f"Charge {clean(currency)}" if currency else "Charge", "number"),
            Column("Refills"),
            Column("Age", "number"),
        ]
        if parts:
            parts.append("")
        caption = clean(_caption(view, name))
        parts.append(PlainTable(columns, rows, title=clean(name), caption=caption, styles=styles))
        # Notes are sentences: under the table, where they read whole.
        parts += [
            Text(f"{clean(r.address)}: {clean(r.note)}", overflow="fold")
            for r in view.of(name)
            if r.note
        ]
    return Group(*parts)


def _are(n: int, noun: str) -> str:
    return f"{plural(n, noun)} {'is' if n == 1 else 'are'}"


def final_line(view: Overview) -> str:
    """How a watch ends: everything finished (or running as intended), or what is still
    under way when it was stopped; and what waits for a person."""
    placed = [r for r in view.rows if r.phase is Phase.PLACED]
    running, moving = len(view.running), len(view.under_way)
    done = len(placed) - running - moving
    if moving:
        line = f"Stopped watching: {_are(moving, 'order')} still under way."
    elif running and done:
        line = f"{_are(done, 'order')} finished; {_are(running, 'subscription')} running."
    elif running:
        line = f"{_are(running, 'subscription')} running."
    elif done == 1:
        line = "The order is finished."
    elif done:
        line = f"All {done} orders are finished."
    else:
        line = "No order is placed."
    waiting = len(view.needs_a_person)
    if waiting:
        line += f" {plural(waiting, 'order')} {'needs' if waiting == 1 else 'need'} a person: see "
        line += "its note." if waiting == 1 else "their notes."
    return line


def markdown(view: Overview) -> str:
    lines = ["### smm status", ""]
    for name in view.campaigns:
        lines += [
            f"**{md(name)}**: {md(_caption(view, name))}",
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
    return "".join(json_chunks(view))


def json_chunks(view: Overview) -> Iterator[str]:
    """``as_json`` a piece at a time: a row's JSON is made as it is written."""
    campaigns = []
    for name in view.campaigns:
        budget = view.budgets.get(name)
        campaigns.append(
            {
                "campaign": name,
                "spent": str(view.spent(name)),
                "budget": None if budget is None else str(budget),
                "currency": _currency(view, name),
            }
        )
    return chunks([("orders", Items(r.to_json() for r in view.rows)), ("campaigns", campaigns)])
