"""The pure planner, table by table: every action, error and warning, with plain data."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import pytest

from runner.api.models import Balance, ItemError, OrderInfo, OrderStatus, Service, ServiceType
from runner.config import campaign
from runner.config.campaign import CampaignSpec
from runner.config.yamldoc import loads
from runner.plans.facts import PanelFacts
from runner.plans.plan import Kind, Plan
from runner.plans.planner import make_plan
from runner.state import (
    CancelRecord,
    LastStatus,
    OrderRecord,
    Phase,
    RefillRecord,
    StateInfo,
)

NOW = _dt.datetime(2026, 11, 26, 12, 0, tzinfo=_dt.UTC)

CATALOG = {
    1: Service(
        1,
        "Followers",
        ServiceType.DEFAULT,
        "IG",
        Decimal("0.90"),
        50,
        10000,
        refill=True,
        cancel=True,
        dripfeed=True,
    ),
    2: Service(2, "Comments", ServiceType.CUSTOM_COMMENTS, "IG", Decimal("12.50"), 1, 1000),
    3: Service(
        3, "Likes", ServiceType.DEFAULT, "IG", Decimal("0.12345"), 10, 50000, dripfeed=False
    ),
    7: Service(7, "Poll", ServiceType.POLL, "TG", Decimal("0.48"), 100, 50000, cancel=True),
    18: Service(18, "Auto likes", ServiceType.SUBSCRIPTIONS, "IG", Decimal("0.35"), 20, 10000),
}


def facts(
    balance: str = "100.00", statuses: dict[int, Any] | None = None, error: str | None = None
) -> dict[str, PanelFacts]:
    return {
        "demo": PanelFacts("demo", CATALOG, Balance(Decimal(balance), "USD"), statuses or {}, error)
    }


def spec(orders: str, extra: str = "") -> CampaignSpec:
    doc = loads(f"campaign: c\npanel: demo\n{extra}orders:\n{orders}", "c.yaml")
    parsed, problems = campaign.parse(doc)
    assert not problems, problems
    assert parsed is not None
    return parsed


FOLLOWERS = "  - {id: f, service: 1, link: https://x/f, quantity: 1000}\n"


def placed(
    c: CampaignSpec,
    index: int = 0,
    status: str | None = None,
    fingerprint: str | None = None,
    **kwargs: Any,
) -> dict[str, OrderRecord]:
    order = c.orders[index]
    last = None
    if status is not None:
        last = LastStatus(status, 0, 0, Decimal("0.9"), "USD", "t")
    record = OrderRecord(
        order.address,
        c.name,
        "demo",
        fingerprint or order.fingerprint(),
        kwargs.pop("phase", Phase.PLACED),
        order.to_json(),
        order_id=kwargs.pop("order_id", 501),
        last=last,
        **kwargs,
    )
    return {order.address: record}


def plan(
    c: CampaignSpec | list[CampaignSpec],
    records: dict[str, OrderRecord] | None = None,
    panel_facts: dict[str, PanelFacts] | None = None,
    **kwargs: Any,
) -> Plan:
    campaigns = c if isinstance(c, list) else [c]
    return make_plan(
        campaigns,
        records or {},
        facts() if panel_facts is None else panel_facts,
        now=NOW,
        state=StateInfo("lin", 3),
        **kwargs,
    )


def kinds(p: Plan) -> list[tuple[str, Kind]]:
    return [(a.address, a.kind) for a in p.actions]


def messages(p: Plan, level: str = "error") -> list[str]:
    return [c.message for c in p.checks if c.level == level]


def test_create_costs_are_exact_decimals() -> None:
    c = spec(
        FOLLOWERS + "  - {id: l, service: 3, link: https://x/l, quantity: 77}\n"
        "  - {id: d, service: 1, link: https://x/d, quantity: 100,"
        " drip_feed: {runs: 10, interval: 60}}\n"
        "  - {id: k, service: 2, link: https://x/k, comments: [a, b, c]}\n"
    )
    p = plan(c)
    costs = {a.address: a.cost for a in p.actions}
    assert costs == {
        "c/f": Decimal("0.9"),
        "c/l": Decimal("0.00950565"),
        "c/d": Decimal("0.9"),
        "c/k": Decimal("0.0375"),
    }
    assert {a.address: a.units for a in p.actions}["c/d"] == 1000
    assert p.total_cost == Decimal("1.84700565")
    assert p.panels[0].after == Decimal("98.15299435")
    assert p.summary() == (
        "Plan: 4 to create, 0 to refill, 0 to cancel. Cost 1.84701 USD of 100.00 USD balance."
    )
    assert p.errors == [] and p.has_changes
    assert p.rates == {"demo": {"1": "0.90", "3": "0.12345", "2": "12.50"}}


def test_rejected_orders_are_created_again() -> None:
    c = spec(FOLLOWERS)
    p = plan(c, placed(c, phase=Phase.REJECTED, order_id=None, error="Bad link"))
    assert kinds(p) == [("c/f", Kind.CREATE)]
    assert "Bad link" in p.actions[0].reason


@pytest.mark.parametrize(
    ("status", "refills_made", "want", "kind"),
    [
        ("Completed", 0, 1, Kind.REFILL),
        ("Partial", 0, 1, Kind.REFILL),
        ("In progress", 0, 1, Kind.WAIT),
        ("Pending", 0, 1, Kind.WAIT),
        ("Completed", 1, 1, Kind.NOOP),
        ("Completed", 1, 2, Kind.REFILL),
        ("Canceled", 0, 1, Kind.NOOP),
        ("Completed", 0, 0, Kind.NOOP),
    ],
)
def test_refill(status: str, refills_made: int, want: int, kind: Kind) -> None:
    c = spec(f"  - {{id: f, service: 1, link: https://x/f, quantity: 1000, refills: {want}}}\n")
    refills = tuple(RefillRecord("t", 900 + i) for i in range(refills_made))
    p = plan(c, placed(c, status=status, refills=refills))
    assert kinds(p) == [("c/f", kind)]
    assert p.errors == []


def test_failed_refill_requests_do_not_count() -> None:
    c = spec("  - {id: f, service: 1, link: https://x/f, quantity: 1000, refills: 1}\n")
    records = placed(
        c, status="Completed", refills=(RefillRecord("t", None, "Order not eligible for refill."),)
    )
    assert kinds(plan(c, records)) == [("c/f", Kind.REFILL)]


def test_fresh_status_beats_the_recorded_one() -> None:
    c = spec("  - {id: f, service: 1, link: https://x/f, quantity: 1000, refills: 1}\n")
    fresh = facts(statuses={501: OrderInfo(OrderStatus.COMPLETED, 0, 5, Decimal("0.9"), "USD")})
    p = plan(c, placed(c, status="In progress"), fresh)
    assert kinds(p) == [("c/f", Kind.REFILL)] and p.actions[0].status == "Completed"


@pytest.mark.parametrize(
    ("status", "cancel", "kind"),
    [
        ("In progress", None, Kind.CANCEL),
        ("Pending", None, Kind.CANCEL),
        ("Completed", None, Kind.NOOP),
        ("In progress", CancelRecord("t", True), Kind.NOOP),
        ("In progress", CancelRecord("t", False, "no"), Kind.CANCEL),
    ],
)
def test_cancel(status: str, cancel: CancelRecord | None, kind: Kind) -> None:
    c = spec("  - {id: f, service: 1, link: https://x/f, quantity: 1000, cancel: true}\n")
    assert kinds(plan(c, placed(c, status=status, cancel=cancel))) == [("c/f", kind)]


def test_cancel_of_an_order_never_placed_is_a_noop() -> None:
    c = spec("  - {id: f, service: 1, link: https://x/f, quantity: 1000, cancel: true}\n")
    assert kinds(plan(c)) == [("c/f", Kind.NOOP)]


def test_wait_for_not_before() -> None:
    c = spec(FOLLOWERS, "not_before: 2026-12-01T09:00:00Z\n")
    p = plan(c)
    assert kinds(p) == [("c/f", Kind.WAIT)]
    assert p.actions[0].reason == "not before 2026-12-01T09:00:00Z"
    assert not p.has_changes
    past = spec(FOLLOWERS, "not_before: 2026-11-01T09:00:00Z\n")
    assert kinds(plan(past)) == [("c/f", Kind.CREATE)]


def test_noop_when_placed_and_unchanged() -> None:
    c = spec(FOLLOWERS)
    p = plan(c, placed(c, status="In progress"))
    assert kinds(p) == [("c/f", Kind.NOOP)] and not p.has_changes


def test_conflict_when_the_order_changed_after_placing() -> None:
    c = spec(FOLLOWERS)
    p = plan(c, placed(c, fingerprint="sha256:other"))
    assert kinds(p) == [("c/f", Kind.CONFLICT)]
    assert "revert the change, or give the order a new id" in messages(p)[0]
    assert p.errors[0].location is not None and p.errors[0].location.line == 4


def test_a_conflict_carries_the_difference_field_by_field() -> None:
    from runner.plans.plan import Action, Change

    before = spec(FOLLOWERS)
    after = spec(FOLLOWERS.replace("quantity: 1000", "quantity: 250").replace("x/f", "x/g"))
    records = placed(before)
    p = plan(after, records)
    (action,) = p.actions
    old_link = before.orders[0].link
    assert action.kind is Kind.CONFLICT
    assert action.changes == (
        Change("link", old_link, after.orders[0].link),
        Change("quantity", 1000, 250),
    )
    assert "(link, quantity changed)" in messages(p)[0]
    # a value of the plan: it survives JSON (what renderers and saved plans read)
    assert Action.from_json(action.to_json()).changes == action.changes
    assert action.to_json()["changes"][1] == {"field": "quantity", "old": 1000, "new": 250}


@pytest.mark.parametrize("phase", [Phase.IN_DOUBT, Phase.SUBMITTING])
def test_in_doubt_is_blocked_with_both_ways_out(phase: Phase) -> None:
    c = spec(FOLLOWERS)
    p = plan(c, placed(c, phase=phase, order_id=None))
    assert kinds(p) == [("c/f", Kind.IN_DOUBT)]
    (warning,) = messages(p, "warning")
    assert "smm state import c/f ORDER_ID" in warning and "smm state retry c/f" in warning


def test_submitting_while_an_apply_runs_is_a_wait() -> None:
    c = spec(FOLLOWERS)
    p = plan(c, placed(c, phase=Phase.SUBMITTING, order_id=None), apply_running=True)
    assert kinds(p) == [("c/f", Kind.WAIT)]


def test_orphans_are_noted_not_deleted() -> None:
    c = spec(FOLLOWERS)
    gone = spec("  - {id: old, service: 1, link: https://x/o, quantity: 100}\n")
    records = {**placed(c), **placed(gone, order_id=502)}
    p = plan(c, records)
    assert kinds(p) == [("c/f", Kind.NOOP), ("c/old", Kind.ORPHAN)]
    assert "smm state mv c/old NEW_ADDRESS" in messages(p, "warning")[0]


def test_records_of_campaigns_not_loaded_are_ignored() -> None:
    c = spec(FOLLOWERS)
    other = OrderRecord("z/a", "z", "demo", "fp", Phase.PLACED, {}, order_id=9)
    assert kinds(plan(c, {"z/a": other})) == [("c/f", Kind.CREATE)]


@pytest.mark.parametrize(
    ("orders", "message", "line"),
    [
        (
            "  - {id: a, service: 99, link: https://x, quantity: 100}\n",
            "service 99 is not in demo's catalog",
            4,
        ),
        (
            "  - {id: a, service: 7, link: https://x, quantity: 100}\n",
            "service 7 is a Poll service: the order needs 'answer_number'",
            4,
        ),
        (
            "  - {id: a, service: 1, link: https://x, quantity: 10}\n",
            "quantity 10 is outside service 1's limits 50..10000",
            4,
        ),
        (
            "  - {id: a, service: 1, link: https://x, quantity: 20000}\n",
            "quantity 20000 is outside service 1's limits 50..10000",
            4,
        ),
        (
            "  - id: a\n    service: 1\n    link: https://x\n    quantity: 20\n"
            "    drip_feed: {runs: 10, interval: 5}\n",
            "quantity 20 per run is outside service 1's limits 50..10000",
            7,
        ),
        (
            "  - {id: a, service: 3, link: https://x, quantity: 100,"
            " drip_feed: {runs: 2, interval: 5}}\n",
            "service 3 does not support drip-feed",
            4,
        ),
        (
            "  - {id: a, service: 3, link: https://x, quantity: 100, refills: 1}\n",
            "service 3 does not support refills",
            4,
        ),
        (
            "  - {id: a, service: 18, username: u, min: 20, max: 50}\n",
            "a subscription without 'posts' has no worst-case cost",
            4,
        ),
    ],
)
def test_order_errors(orders: str, message: str, line: int) -> None:
    p = plan(spec(orders))
    assert any(message in m for m in messages(p)), messages(p)
    assert p.errors[0].location is not None and p.errors[0].location.line == line
    assert p.errors[0].location.file == "c.yaml"


def test_cancel_on_a_service_without_cancel() -> None:
    c = spec("  - {id: a, service: 3, link: https://x, quantity: 100, cancel: true}\n")
    p = plan(c, placed(c, status="In progress"))
    assert "service 3 does not support cancel" in messages(p)[0]


def test_unknown_panel_and_missing_key() -> None:
    c = spec(FOLLOWERS)
    p = plan(c, panel_facts={})
    assert messages(p) == ["unknown panel 'demo'"]
    missing = facts(error="panel demo: environment variable SMM_KEY is not set")
    assert messages(plan(c, panel_facts=missing)) == [
        "panel demo: environment variable SMM_KEY is not set"
    ]


def test_cost_above_balance() -> None:
    p = plan(spec(FOLLOWERS), panel_facts=facts(balance="0.50"))
    assert messages(p) == ["panel demo: the plan costs 0.90 USD, above the balance of 0.50 USD"]


def test_budget_counts_recorded_charges_and_planned_costs() -> None:
    c = spec(
        FOLLOWERS + "  - {id: g, service: 1, link: https://x/g, quantity: 1000}\n", "budget: 1.50\n"
    )
    p = plan(c, placed(c, status="Completed"))
    assert messages(p) == [
        "campaign c: spend 1.80 USD (recorded 0.90 USD + planned 0.90 USD) is above its budget "
        "1.50 USD"
    ]
    assert p.errors[0].location is not None and p.errors[0].location.line == 3
    ok = spec(FOLLOWERS, "budget: 0.90\n")
    assert plan(ok).errors == []


def test_a_subscription_costs_its_worst_case() -> None:
    """max x (posts + old_posts) units at the rate: the most it can ever spend."""
    c = spec("  - {id: a, service: 18, username: u, min: 20, max: 50, posts: 10, old_posts: 2}\n")
    (action,) = plan(c).actions
    assert action.kind is Kind.CREATE and action.units == 50 * 12
    assert action.cost == Decimal("0.35") * 600 / 1000


@pytest.mark.parametrize("extra", ["", "budget: 5\n"])
def test_an_open_ended_subscription_cannot_be_planned(extra: str) -> None:
    """No worst case, no budget can hold it: an error, with or without a budget."""
    c = spec("  - {id: a, service: 18, username: u, min: 20, max: 50}\n", extra)
    p = plan(c)
    assert "no worst-case cost" in messages(p)[0]
    assert [a.kind for a in p.actions] == [Kind.INVALID]
    assert p.count(Kind.CREATE) == 0 and p.campaigns[0].cost == 0


PACKAGES = {
    4: Service(4, "Views pack", ServiceType.PACKAGE, "IG", Decimal("2.75"), 1, 1),
    5: Service(5, "Comment pack", ServiceType.CUSTOM_COMMENTS_PACKAGE, "IG", Decimal("6"), 1, 1),
}


def test_a_package_costs_its_rate_everywhere() -> None:
    """In the plan, the budget check and the balance check: rate, not rate / 1000."""
    catalog = {**CATALOG, **PACKAGES}
    c = spec(
        "  - {id: v, service: 4, link: https://x/v}\n"
        "  - {id: k, service: 5, link: https://x/k, comments: [a, b]}\n",
        "budget: 8\n",
    )
    panel = {"demo": PanelFacts("demo", catalog, Balance(Decimal("100"), "USD"))}
    p = plan(c, panel_facts=panel)
    assert sorted(a.cost or Decimal(-1) for a in p.actions) == [Decimal("2.75"), Decimal("6")]
    assert "is above its budget 8" in messages(p)[0]
    poor = {"demo": PanelFacts("demo", catalog, Balance(Decimal("5"), "USD"))}
    assert any("above the balance of 5" in m for m in messages(plan(c, panel_facts=poor)))


def test_a_budget_refuses_to_add_up_currencies() -> None:
    c = spec(FOLLOWERS + "  - {id: e, panel: euro, service: 1, link: https://x/e, quantity: 100}\n")
    two = {
        **facts(),
        "euro": PanelFacts("euro", CATALOG, Balance(Decimal("100"), "EUR")),
    }
    p = plan(c, panel_facts=two)
    assert any("priced in EUR and USD" in m for m in messages(p))


@pytest.mark.parametrize("bad", ["-0.90", "NaN", "Infinity", "1e300"])
def test_a_service_with_an_unusable_rate_cannot_be_ordered(bad: str) -> None:
    import dataclasses

    catalog = {**CATALOG, 1: dataclasses.replace(CATALOG[1], rate=Decimal(bad))}
    p = plan(
        spec(FOLLOWERS), panel_facts={"demo": PanelFacts("demo", catalog, facts()["demo"].balance)}
    )
    assert "unusable rate" in messages(p)[0]
    assert [a.kind for a in p.actions] == [Kind.INVALID] and p.total_cost == 0


def test_an_order_with_an_error_is_not_counted_as_a_create() -> None:
    c = spec(FOLLOWERS + "  - {id: g, service: 1, link: https://x/g, quantity: 5}\n")
    p = plan(c)
    assert [(a.address, a.kind) for a in p.actions] == [("c/f", Kind.CREATE), ("c/g", Kind.INVALID)]
    assert p.count(Kind.CREATE) == 1 and p.total_cost == Decimal("0.9")
    # Nothing is applied while the plan has an error: the summary says so, not "1 to create".
    assert p.summary() == "Plan: 1 error; nothing will be applied."


def test_plan_and_status_count_spend_alike() -> None:
    """An order without a reported charge counts its estimate, in the plan as in status."""
    from runner.delivery.rows import Overview, row_of

    c = spec(FOLLOWERS, "budget: 10\n")
    records = placed(c, estimated_cost=Decimal("0.9"))
    p = plan(c, records)
    overview = Overview([row_of(r, NOW) for r in records.values()])
    assert p.campaigns[0].spent == overview.spent("c") == Decimal("0.9")


def test_same_service_and_link_twice_is_a_warning() -> None:
    c = spec(FOLLOWERS + "  - {id: g, service: 1, link: https://x/f, quantity: 500}\n")
    p = plan(c)
    assert p.errors == []
    assert "two active orders for service 1 and https://x/f" in messages(p, "warning")[0]
    done = plan(c, placed(c, status="Completed"))
    assert messages(done, "warning") == []


def test_item_errors_fall_back_to_recorded_status() -> None:
    c = spec("  - {id: f, service: 1, link: https://x/f, quantity: 1000, refills: 1}\n")
    p = plan(c, placed(c, status="Completed"), facts(statuses={501: ItemError("gone")}))
    assert kinds(p) == [("c/f", Kind.REFILL)]


def test_plan_is_a_deterministic_value_with_a_json_round_trip() -> None:
    c = spec("  - {id: z, service: 1, link: https://x/z, quantity: 100}\n" + FOLLOWERS)
    p = plan(c)
    assert [a.address for a in p.actions] == ["c/f", "c/z"]
    again = Plan.from_json(p.to_json())
    assert again.actions == p.actions and again.lineage == "lin" and again.serial == 3
    assert again.to_json() == p.to_json()


def test_the_summary_gives_every_amount_its_currency() -> None:
    from runner.plans.plan import Action, PanelSummary, Plan

    create = Action("c/a", Kind.CREATE, "a", cost=Decimal("1"), currency="USD")
    two = Plan(
        (create,),
        panels=(
            PanelSummary("a", Decimal("10"), "USD", Decimal("1")),
            PanelSummary("b", Decimal("20"), "EUR", Decimal("0")),
        ),
    )
    assert two.summary() == (
        "Plan: 1 to create, 0 to refill, 0 to cancel. Cost 1.00 USD on a (balance 10.00 USD); "
        "0.00 EUR on b (balance 20.00 EUR)."
    )
