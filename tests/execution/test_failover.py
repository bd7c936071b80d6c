"""Failover decisions, pure: which refusals move, to which candidate, within which room."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from runner.execution.failover import Failover
from runner.execution.results import Outcome, Result
from runner.plans.plan import Action, CampaignCost, Kind, PanelSummary, Plan


def cand(
    panel: str, service: int, cost: str, currency: str = "USD", compared: str = ""
) -> dict[str, Any]:
    return {
        "panel": panel,
        "service": service,
        "name": f"Likes {service}",
        "type": "Default",
        "rate": cost,
        "currency": currency,
        "cost": cost,
        "units": 1000,
        "compared": compared or cost,
        "left_out": None,
    }


FITTING = [cand("a", 1, "1.00"), cand("b", 2, "1.20"), cand("c", 3, "1.50", "EUR", "1.65")]


def plan(budget: str | None = None, balances: dict[str, str] | None = None) -> Plan:
    action = Action(
        address="camp/o",
        kind=Kind.CREATE,
        panel="a",
        service=1,
        cost=Decimal("1.00"),
        currency="USD",
        campaign="camp",
        fingerprint="fp",
        spec={"panel": "a", "service": 1, "params": {}},
        selection={"chosen": FITTING[0], "fitting": FITTING, "compared_in": "USD"},
    )
    balances = balances or {"a": "10", "b": "10", "c": "10"}
    panels = tuple(
        PanelSummary(name, Decimal(amount), "EUR" if name == "c" else "USD", Decimal(0))
        for name, amount in balances.items()
    )
    cost = CampaignCost(
        "camp", Decimal("1.00"), None if budget is None else Decimal(budget), Decimal(0), "USD"
    )
    return Plan(actions=(action,), campaigns=(cost,), panels=panels)


def refused(result: Result = Result.REJECTED) -> list[Outcome]:
    return [Outcome("camp/o", result, "Not enough funds on balance")]


def test_a_refusal_moves_to_the_next_candidate_then_the_one_after() -> None:
    failover = Failover(plan())
    [move] = failover.moves(refused())
    assert (move.action.panel, move.action.service, move.action.cost) == ("b", 2, Decimal("1.20"))
    assert move.extra == Decimal("0.20") and move.unit == "USD"
    assert move.action.spec is not None and move.action.spec["moved_from"] == {
        "panel": "a",
        "service": 1,
        "why": "Not enough funds on balance",
    }
    assert move.action.fingerprint == "fp"  # the same order, elsewhere
    assert move.note() == (
        "moved from service 1 on a (Not enough funds on balance) to service 2 on b: "
        "0.20 USD more than planned"
    )
    [again] = failover.moves([Outcome("camp/o", Result.NOT_SENT, "connect timeout")])
    assert (again.action.panel, again.action.service) == ("c", 3)
    assert again.extra == Decimal("0.65")
    assert failover.moves(refused()) == []  # every candidate tried: it stays refused


def test_never_after_a_lost_answer_nor_for_other_results() -> None:
    for result in (Result.IN_DOUBT, Result.PLACED, Result.SKIPPED):
        assert Failover(plan()).moves(refused(result)) == []


def test_a_number_never_moves() -> None:
    numbered = plan()
    action = numbered.actions[0]
    only = dataclasses.replace(numbered, actions=(dataclasses.replace(action, selection=None),))
    assert Failover(only).moves(refused()) == []


def test_the_budget_and_the_balance_bound_a_move() -> None:
    # Budget room 0.10 (1.10 - 1.00): b costs 0.20 more, c is in another currency.
    assert Failover(plan(budget="1.10")).moves(refused()) == []
    [move] = Failover(plan(budget="1.20")).moves(refused())
    assert move.action.panel == "b"
    # b cannot pay: c can (no budget, so another currency is fine).
    [move] = Failover(plan(balances={"a": "10", "b": "1.19", "c": "10"})).moves(refused())
    assert move.action.panel == "c" and move.unit == "USD" and move.extra == Decimal("0.65")
    # A panel the plan never asked (no balance known) is not a place to move to.
    assert Failover(plan(balances={"a": "10"})).moves(refused()) == []


def test_the_room_is_taken_by_each_move() -> None:
    twice = plan(balances={"a": "10", "b": "1.30", "c": "0"})
    first = Failover(twice)
    [move] = first.moves(refused())
    assert move.action.panel == "b" and first.balance_room["b"] == Decimal("0.10")


def test_another_currency_counts_against_the_budget_at_the_compared_cost() -> None:
    # The budget is in USD, the plan compared in USD: c's 1.50 EUR is 1.65 USD, 0.65 more.
    failover = Failover(plan(budget="1.70", balances={"a": "10", "b": "0", "c": "10"}))
    [move] = failover.moves(refused())
    assert move.action.panel == "c" and failover.budget_room["camp"] == Decimal("0.05")
    assert (
        Failover(plan(budget="1.60", balances={"a": "10", "b": "0", "c": "10"})).moves(refused())
        == []
    )
