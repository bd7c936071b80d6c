"""The report as one self-contained HTML page: every style and script inline, nothing
fetched (a Content-Security-Policy forbids the page any request at all).

Every text that comes from a file, the state or a panel goes through ``_e`` (HTML
escaping) or, inside the chart data, through ``_json_script`` (no ``<`` can close the
script element): nothing in a report can add markup or script to it.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from importlib import resources
from typing import Any

from runner.money import format_amount
from runner.render.report import charts, vega
from runner.render.report.content import Attention, OrderView, Report, Spend, status_of
from runner.render.words import amount

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _json_script(value: Any) -> str:
    """JSON fit for a ``<script type="application/json">`` element."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class _Charts:
    """The page's charts, each named by the element it is drawn in: a whole spec, or a
    template's name and the chart's datasets."""

    def __init__(self) -> None:
        self.charts: dict[str, Any] = {}

    def place(self, spec: dict[str, Any] | None, label: str, empty: str) -> str:
        return self._put(None if spec is None else {"spec": spec}, label, empty)

    def fill(self, template: str, datasets: Any, label: str, empty: str) -> str:
        chart = None if datasets is None else {"template": template, "datasets": datasets}
        return self._put(chart, label, empty)

    def _put(self, chart: dict[str, Any] | None, label: str, empty: str) -> str:
        if chart is None:
            return f'<p class="empty">{_e(empty)}</p>'
        name = f"c{len(self.charts)}"
        self.charts[name] = chart
        return f'<div class="chart" data-chart="{name}" role="img" aria-label="{_e(label)}"></div>'

    def to_json(self) -> dict[str, Any]:
        return {"templates": charts.TEMPLATES, "charts": self.charts}


def _status(status: str) -> str:
    color = charts.STATUS_COLORS.get(status, charts.OTHER)
    return f'<span class="status" style="--c:{color}">{_e(status)}</span>'


def _header(report: Report) -> str:
    by_currency: dict[str, Decimal] = {}
    for c in report.campaigns:
        by_currency[c.currency] = by_currency.get(c.currency, Decimal(0)) + c.spent
    spent = " + ".join(f"{amount(v)} {k}".strip() for k, v in sorted(by_currency.items()))
    dropped = sum(1 for o in report.orders if o.drops)
    need = len(report.attention)
    tiles = [
        ("orders", str(len(report.orders)), "orders recorded"),
        ("spent", spent or "0.00", "spent"),
        ("attention", str(need), "need a person"),
        ("dropped", str(dropped), "dropped after completion"),
    ]
    cells = "".join(
        f'<div class="tile{" alert" if k in ("attention", "dropped") and v != "0" else ""}">'
        f'<b data-k="{k}">{_e(v)}</b><span>{_e(label)}</span></div>'
        for k, v, label in tiles
    )
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in report.notes)
    return (
        f'<header><h1>smm report</h1><p class="meta">Generated {_e(report.generated_at)}'
        f" from the state at <code>{_e(report.state)}</code>.</p>"
        f'<div class="tiles">{cells}</div>{notes}</header>'
    )


def _attention_row(item: Attention) -> str:
    commands = "".join(f"<code>{_e(c)}</code>" for c in item.commands)
    return (
        f'<tr data-address="{_e(item.address)}" data-kind="{_e(item.kind)}">'
        f'<td><code>{_e(item.address)}</code></td><td class="kind">{_e(item.kind)}</td>'
        f"<td>{_e(item.why)}</td><td>{commands}<span>{_e(item.advice)}</span></td></tr>"
    )


def _attention(report: Report) -> str:
    if not report.attention:
        body = '<p class="ok">Nothing needs a person.</p>'
    else:
        rows = "".join(_attention_row(a) for a in report.attention)
        body = (
            "<table><thead><tr><th>order</th><th>what</th><th>why</th>"
            f"<th>what settles it</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return f'<section id="attention"><h2>Needs a person</h2>{body}</section>'


def _spend_row(c: Spend) -> str:
    over = " over" if c.over else ""
    desired = "" if c.desired is None else f" of {c.desired}"
    return (
        f'<tr data-campaign="{_e(c.campaign)}" class="{over.strip()}">'
        f"<td>{_e(c.campaign)}</td><td>{_e(', '.join(c.panels))}</td>"
        f'<td class="n"><span data-k="orders">{c.orders}</span>{desired}</td>'
        f'<td class="n" data-k="charged">{amount(c.charged)}</td>'
        f'<td class="n" data-k="estimated">{amount(c.estimated)}</td>'
        f'<td class="n" data-k="spent">{amount(c.spent)}</td>'
        f'<td class="n" data-k="budget">{amount(c.budget)}</td>'
        f'<td class="n" data-k="left">{amount(c.left)}</td><td>{_e(c.currency)}</td></tr>'
    )


def _spend(report: Report, place: _Charts) -> str:
    chart = place.place(charts.spend(report), "spend per campaign", "No campaign in scope.")
    rows = "".join(_spend_row(c) for c in report.campaigns)
    return (
        '<section id="spend"><h2>Spend against budget</h2>'
        f'<p class="help"><b>{charts.CHARGED}</b>: the charge the panel reported in its '
        f"last status answer. <b>{charts.ESTIMATED}</b>: rate &times; quantity as planned, for "
        "orders the panel has reported no charge for yet. Rejected orders cost nothing. "
        f"The black tick is the campaign's budget.</p>{chart}"
        "<table><thead><tr><th>campaign</th><th>panel</th><th>orders</th>"
        f"<th>{charts.CHARGED}</th><th>{charts.ESTIMATED}</th><th>spent</th><th>budget</th>"
        f"<th>left</th><th></th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _count_table(values: dict[str, int], what: str) -> str:
    rows = "".join(
        f'<tr data-{what}="{_e(k)}"><td>{_e(k)}</td><td class="n" data-k="count">{n}</td></tr>'
        for k, n in values.items()
    )
    head = f"<thead><tr><th>{what}</th><th>orders</th></tr></thead>"
    return f"<table>{head}<tbody>{rows}</tbody></table>"


def _counts(report: Report, place: _Charts) -> str:
    by_status = place.place(
        charts.counts(dict(report.by_status), "status", colors=True), "orders by status", ""
    )
    by_panel = place.place(
        charts.counts(dict(report.by_panel), "panel", colors=False), "orders by panel", ""
    )
    return (
        '<section id="counts"><h2>Orders</h2><div class="two">'
        f"<div><h3>by status</h3>{by_status}{_count_table(dict(report.by_status), 'status')}</div>"
        f"<div><h3>by panel</h3>{by_panel}{_count_table(dict(report.by_panel), 'panel')}</div>"
        "</div></section>"
    )


def _balances(report: Report, place: _Charts) -> str:
    parts = []
    for panel, seen in report.balances.items():
        last = f"{format_amount(seen[-1].amount)} {seen[-1].currency}" if seen else ""
        chart = place.place(charts.balance(seen), f"balance of {panel}", "no balance recorded yet")
        parts.append(
            f'<div class="balance" data-panel="{_e(panel)}"><h3>{_e(panel)} '
            f'<span data-k="balance">{_e(last)}</span></h3>{chart}</div>'
        )
    body = "".join(parts) or '<p class="empty">No panel in scope.</p>'
    return (
        '<section id="balances"><h2>Panel balances</h2><p class="help">Each point is a '
        f"balance the panel answered that differed from the one before.</p>{body}</section>"
    )


def _order(view: OrderView, place: _Charts, chart: bool = True) -> str:
    row = view.row
    status = status_of(view)
    delivered = "-" if row.shown_delivered is None else str(row.shown_delivered)
    ordered = "-" if row.ordered is None else str(row.ordered)
    spent_is = "charge" if view.charged else "estimate"
    topped = f" with {_e(', '.join(row.topups))}" if row.topups else ""
    facts = [
        f'delivered <b data-k="delivered">{delivered}</b> / <b data-k="quantity">{ordered}</b>'
        + topped,
        f'spent <b data-k="spent">{amount(view.spent)}</b> {_e(row.currency or "")} ({spent_is})',
        f"order {_e(row.order_id or '-')} on {_e(view.panel)}",
    ]
    if row.refills != "-":
        facts.append(f'refills <span data-k="refills">{_e(row.refills)}</span>')
    for drop in view.drops:
        facts.append(f'<span class="drop">lost {drop.lost} after completion</span>')
    link = f'<p class="link">{_e(view.link)}</p>' if view.link else ""
    note = f'<p class="note">{_e(row.note)}</p>' if row.note else ""
    empty = "no status recorded yet" if not view.points else "no unit count for this order"
    drawn = (
        place.fill("order", charts.order(view), f"delivery of {view.address}", empty)
        if chart
        else ""
    )
    return (
        f'<article class="order" data-address="{_e(view.address)}" data-status="{_e(status)}">'
        f"<h4><code>{_e(view.address)}</code> {_status(status)}</h4>"
        f'<p class="facts">{" · ".join(facts)}</p>{link}{note}{drawn}</article>'
    )


def _orders(report: Report, place: _Charts) -> str:
    colors = [*charts.STATUS_COLORS.items(), ("another status", charts.OTHER)]
    key = "".join(
        f'<span class="key" style="--c:{color}">{_e(status)}</span>' for status, color in colors
    )
    legend = (
        f'<p class="help">Points are the statuses the state recorded ({key}); the steps hold '
        "the last observed value until the next observation. Dashed: the ordered quantity. "
        f'<span class="key" style="--c:{charts.REFILL_COLOR}">refill requested</span> '
        f'<span class="key" style="--c:{charts.DROP_COLOR}">▼ drop after completion</span>. '
        "Times are in your browser's time zone.</p>"
    )
    parts = []
    if len(report.orders) > IN_FULL_UP_TO:
        legend += (
            f'<p class="help" id="summarised">{len(report.orders)} orders: per campaign, the '
            "orders that need a person in full, and the delivery of at most "
            f"{CHARTS_PER_CAMPAIGN} others (dropped after completion, then still under way "
            f"first; {MAX_CHARTS} in all). <code>smm status</code> lists every order.</p>"
        )
        parts = _summarised(report, place)
    else:
        for spend in report.campaigns:
            views = report.of(spend.campaign)
            body = "".join(_order(v, place) for v in views) or '<p class="empty">No orders yet.</p>'
            parts.append(f"<h3>{_e(spend.campaign)}</h3>{body}")
    return f'<section id="orders"><h2>Delivery over time</h2>{legend}{"".join(parts)}</section>'


# Up to this many orders, every order is shown with its chart; beyond, the page
# summarises (a page of 100,000 charts is 47 MB and takes a browser half a minute).
IN_FULL_UP_TO = 2000
CHARTS_PER_CAMPAIGN = 3
MAX_CHARTS = 100


def _rank(view: OrderView, attention: set[str]) -> int:
    """Which orders are drawn first: those that need a person, then those that lost units
    after completion, then those still under way, then the rest."""
    if view.address in attention:
        return 0
    if view.drops:
        return 1
    return 2 if status_of(view) not in _FINISHED else 3


_FINISHED = frozenset({"Completed", "Partial", "Canceled", "Refunded", "REJECTED"})


def _summarised(report: Report, place: _Charts) -> list[str]:
    """Per campaign: its orders by status, the orders that need a person in full, and a
    few delivery charts, within ``MAX_CHARTS`` for the page."""
    attention = {a.address for a in report.attention}
    left = MAX_CHARTS
    parts = []
    for spend in report.campaigns:
        views = report.of(spend.campaign)
        counts = Counter(status_of(v) for v in views)
        line = " · ".join(f"{_status(k)} {n}" for k, n in sorted(counts.items()))
        budget = min(CHARTS_PER_CAMPAIGN, left)
        shown = []
        for view in sorted(views, key=lambda v: _rank(v, attention)):
            drawable = budget > 0 and charts.order(view) is not None
            if view.address in attention or drawable:
                shown.append(_order(view, place, chart=drawable))
                budget -= drawable
            elif budget <= 0:
                break
        left -= min(CHARTS_PER_CAMPAIGN, left) - budget
        hidden = len(views) - len(shown)
        more = (
            f'<p class="help more">{hidden} more order{"s" if hidden != 1 else ""} of '
            f"{_e(spend.campaign)} not shown here.</p>"
            if hidden
            else ""
        )
        empty = "" if views else '<p class="empty">No orders yet.</p>'
        parts.append(
            f'<h3>{_e(spend.campaign)}</h3><p class="counts" data-campaign="{_e(spend.campaign)}">'
            f"{line}</p>{''.join(shown)}{more}{empty}"
        )
    return parts


def _footer() -> str:
    libs = ", ".join(f"{name} {version}" for name, version in vega.versions().items())
    return f"<footer>Charts by Vega-Lite ({_e(libs)}), inline in this file.</footer>"


def page(report: Report) -> str:
    """The whole page, ready to write."""
    place = _Charts()
    sections: Iterable[str] = (
        _header(report),
        "<main>",
        _attention(report),
        _spend(report, place),
        _counts(report, place),
        _balances(report, place),
        _orders(report, place),
        "</main>",
        _footer(),
    )
    body = "".join(sections)
    style = resources.files(__package__).joinpath("page.css").read_text(encoding="utf-8")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>smm report {_e(report.generated_at)}</title><style>{style}</style></head>"
        f"<body>{body}"
        f'<script type="application/json" id="smm-charts">{_json_script(place.to_json())}</script>'
        f'<script type="module">{vega.script()}</script></body></html>\n'
    )
