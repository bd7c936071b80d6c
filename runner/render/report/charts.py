"""The report's charts as Vega-Lite specifications (plain JSON values).

Money travels as exact decimal strings and becomes a number only inside the browser,
for drawing (``toNumber``); tooltips show the strings. Each delivery curve plots the
observations the state recorded, joined by steps that hold the last observed value until
the next observation: no value is made up in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runner.render.report.content import OrderView, Report
from runner.state import BalanceSeen

Spec = dict[str, Any]

# One colour per status, shared with the page's key.
STATUS_COLORS = {
    "Pending": "#9e9e9e",
    "Processing": "#6baed6",
    "In progress": "#3182bd",
    "Active": "#3182bd",
    "Completed": "#2ca02c",
    "Partial": "#e6a100",
    "Canceled": "#b03a2e",
    "Refunded": "#b03a2e",
    "IN DOUBT": "#9c27b0",
    "REJECTED": "#d62728",
    "SUBMITTING": "#ba68c8",
    "not checked yet": "#cccccc",
}
CHARGED = "charged by the panel"
ESTIMATED = "our estimate"
_SPEND_COLORS = {CHARGED: "#3182bd", ESTIMATED: "#9ecae1"}
REFILL_COLOR = "#7b3fbf"
DROP_COLOR = "#d62728"
_WIDTH = "container"


OTHER = "#7f7f7f"  # a status no panel documents: still drawn, in grey
# Marks are coloured by a key (``k``): the status when it is known, else "other", which a
# scale with a fixed domain would leave without a colour (drawn invisible).
STATUS_SCALE = {
    "domain": [*STATUS_COLORS, "other"],
    "range": [*STATUS_COLORS.values(), OTHER],
}


def color_key(status: str) -> str:
    return status if status in STATUS_COLORS else "other"


# Time labels: the hour to the second within a day; the date and minute beyond.
_AXIS = {
    "labelExpr": "timeFormat(datum.value, domain('x')[1] - domain('x')[0] < 864e5"
    " ? '%H:%M:%S' : '%b %d %H:%M')",
    "labelOverlap": "greedy",
}
_TIME = {"field": "at", "type": "temporal", "title": None, "axis": _AXIS}
_WHEN = {"field": "at", "type": "temporal", "title": "when", "format": "%Y-%m-%d %H:%M:%S"}


def _number(field: str) -> dict[str, str]:
    return {"calculate": f"toNumber(datum.{field})", "as": "value"}


def _order_template() -> Spec:
    """One spec for every order's chart (the page carries it once; each chart brings
    only its datasets, with one-letter keys: t time, d delivered, r remains, s status,
    k its colour key, c charge, q ordered, i refill id, l lost)."""
    time = {"field": "t", "type": "temporal", "title": None, "axis": _AXIS}
    when = {"field": "t", "type": "temporal", "title": "when", "format": "%Y-%m-%d %H:%M:%S"}
    y = {"field": "d", "type": "quantitative", "title": "delivered"}
    return {
        "width": _WIDTH,
        "height": 150,
        "layer": [
            {
                "data": {"name": "points"},
                "mark": {"type": "line", "interpolate": "step-after", "color": "#8aa8c8"},
                "encoding": {"x": time, "y": y},
            },
            {
                "data": {"name": "points"},
                "mark": {"type": "point", "filled": True, "size": 50, "opacity": 1},
                "encoding": {
                    "x": time,
                    "y": y,
                    "color": {
                        "field": "k",
                        "type": "nominal",
                        "scale": STATUS_SCALE,
                        "legend": None,
                    },
                    "tooltip": [
                        when,
                        {"field": "s", "title": "status"},
                        {"field": "d", "type": "quantitative", "title": "delivered"},
                        {"field": "r", "type": "quantitative", "title": "remains"},
                        {"field": "c", "title": "charge"},
                    ],
                },
            },
            {
                "data": {"name": "quantity"},
                "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#555"},
                "encoding": {
                    "y": {"field": "q", "type": "quantitative"},
                    "tooltip": [{"field": "q", "type": "quantitative", "title": "ordered"}],
                },
            },
            {
                "data": {"name": "refills"},
                "mark": {"type": "rule", "color": REFILL_COLOR, "strokeWidth": 2},
                "encoding": {
                    "x": time,
                    "tooltip": [
                        {**when, "title": "refill requested"},
                        {"field": "i", "title": "refill"},
                        {"field": "s", "title": "status"},
                    ],
                },
            },
            {
                "data": {"name": "drops"},
                "mark": {
                    "type": "point",
                    "shape": "triangle-down",
                    "filled": True,
                    "size": 170,
                    "color": DROP_COLOR,
                },
                "encoding": {
                    "x": time,
                    "y": y,
                    "tooltip": [when, {"field": "l", "title": "lost after completion"}],
                },
            },
        ],
    }


def order(view: OrderView) -> dict[str, list[dict[str, Any]]] | None:
    """The datasets of an order's chart (drawn with ``TEMPLATES["order"]``): delivered
    units at each observation, the ordered quantity, refill requests, drops after
    completion; None when no observation counted units (never checked, or an order type
    without a quantity)."""
    points = [p for p in view.points if p.delivered is not None]
    if not points:
        return None
    return {
        "points": [
            {
                "t": p.at,
                "d": p.delivered,
                "r": p.remains,
                "s": p.status,
                "k": color_key(p.status),
                "c": "-" if p.charge is None else str(p.charge),
            }
            for p in points
        ],
        "quantity": [] if view.row.ordered is None else [{"q": view.row.ordered}],
        "refills": [
            {"t": r.requested_at, "i": r.refill_id, "s": r.status or "requested"}
            for r in view.refills
            if r.ok
        ],
        "drops": [{"t": d.at, "d": d.delivered, "l": d.lost} for d in view.drops],
    }


def spend(report: Report) -> Spec | None:
    """Per campaign, a bar of the panel's charges and our estimates, the budget a tick."""
    if not report.campaigns:
        return None
    parts = [
        {"campaign": c.campaign, "part": part, "amount": str(amount)}
        for c in report.campaigns
        for part, amount in ((CHARGED, c.charged), (ESTIMATED, c.estimated))
    ]
    budgets = [
        {"campaign": c.campaign, "amount": str(c.budget)}
        for c in report.campaigns
        if c.budget is not None
    ]
    campaign = {"field": "campaign", "type": "nominal", "title": None}
    layers: list[Spec] = [
        {
            "data": {"name": "parts"},
            "transform": [_number("amount")],
            "mark": "bar",
            "encoding": {
                "y": campaign,
                "x": {"field": "value", "type": "quantitative", "stack": "zero", "title": "spend"},
                "color": {
                    "field": "part",
                    "type": "nominal",
                    "scale": {"domain": list(_SPEND_COLORS), "range": list(_SPEND_COLORS.values())},
                    "legend": {"orient": "bottom", "title": None},
                },
                "tooltip": [{"field": "campaign"}, {"field": "part"}, {"field": "amount"}],
            },
        }
    ]
    datasets: dict[str, Any] = {"parts": parts}
    if budgets:
        datasets["budgets"] = budgets
        layers.append(
            {
                "data": {"name": "budgets"},
                "transform": [_number("amount")],
                "mark": {"type": "tick", "color": "#222", "thickness": 3},
                "encoding": {
                    "y": campaign,
                    "x": {"field": "value", "type": "quantitative"},
                    "tooltip": [{"field": "campaign"}, {"field": "amount", "title": "budget"}],
                },
            }
        )
    return {
        "datasets": datasets,
        "layer": layers,
        "width": _WIDTH,
        "height": 34 * len(report.campaigns),
    }


def counts(values: dict[str, int], what: str, colors: bool) -> Spec | None:
    """A bar per status (in its colour) or per panel."""
    if not values:
        return None
    rows = [{what: k, "k": color_key(k), "orders": n} for k, n in values.items()]
    encoding: Spec = {
        "y": {"field": what, "type": "nominal", "title": None, "sort": list(values)},
        "x": {
            "field": "orders",
            "type": "quantitative",
            "title": "orders",
            # whole orders only: no more ticks than the largest count
            "axis": {"tickCount": min(5, max(values.values())), "format": "d"},
        },
        "tooltip": [{"field": what}, {"field": "orders"}],
    }
    if colors:
        encoding["color"] = {
            "field": "k",
            "type": "nominal",
            "scale": STATUS_SCALE,
            "legend": None,
        }
    return {
        "data": {"values": rows},
        "mark": "bar",
        "encoding": encoding,
        "width": _WIDTH,
        "height": 24 * len(rows),
    }


def balance(seen: Sequence[BalanceSeen]) -> Spec | None:
    """A panel's balance at each moment it was seen to change."""
    if not seen:
        return None
    rows = [{"at": b.at, "amount": str(b.amount), "currency": b.currency} for b in seen]
    y = {"field": "value", "type": "quantitative", "title": seen[-1].currency or "balance"}
    tooltip = [_WHEN, {"field": "amount", "title": "balance"}, {"field": "currency"}]
    return {
        "data": {"values": rows},
        "transform": [_number("amount")],
        "layer": [
            {
                "mark": {"type": "line", "interpolate": "step-after", "color": "#8aa8c8"},
                "encoding": {"x": _TIME, "y": y},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 50, "color": "#3182bd"},
                "encoding": {"x": _TIME, "y": y, "tooltip": tooltip},
            },
        ],
        "width": _WIDTH,
        "height": 140,
    }


TEMPLATES = {"order": _order_template()}
