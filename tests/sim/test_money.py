"""Money as a PHP panel keeps it: charges rounded to a few decimals (half away from zero),
the balance charged and refunded exactly those amounts; packages cost their rate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sim.conftest import KEY_A, Panel, PanelFactory

START = Decimal("250.00")


def balance(panel: Panel) -> Decimal:
    return Decimal(panel.call(KEY_A, "balance")["balance"])


def charge(panel: Panel, order: int) -> Decimal:
    return Decimal(panel.call(KEY_A, "status", order=order)["charge"])


@pytest.mark.parametrize(
    ("decimals", "expected"),
    [(5, "0.01235"), (4, "0.0123"), (2, "0.01"), (6, "0.012345")],
)
def test_a_charge_is_rounded_and_charged_rounded(
    make_panel: PanelFactory, decimals: int, expected: str
) -> None:
    panel = make_panel(decimals=decimals)
    order = panel.add(KEY_A, service=3, quantity=100)  # 0.12345 per 1000: 0.012345 exactly
    assert charge(panel, order) == Decimal(expected)
    assert balance(panel) == START - Decimal(expected)


def test_halves_round_away_from_zero_as_php_does(make_panel: PanelFactory) -> None:
    panel = make_panel(decimals=5)
    order = panel.add(KEY_A, service=4, quantity=125)  # 0.00456 * 125 / 1000 = 0.00057
    assert charge(panel, order) == Decimal("0.00057")
    tie = panel.add(KEY_A, service=3, quantity=500)  # 0.061725: the 5 goes up
    assert charge(panel, tie) == Decimal("0.06173")


def test_a_partial_refund_is_rounded_too(make_panel: PanelFactory) -> None:
    panel = make_panel(partial_rate=1.0, decimals=5)
    order = panel.add(KEY_A, service=3, quantity=777)
    charged = charge(panel, order)
    assert charged == Decimal("0.09592")  # 0.09592065
    panel.clock[0] += 86_400
    status = panel.call(KEY_A, "status", order=order)
    assert status["status"] == "Partial"
    delivered = 777 - int(status["remains"])
    exact = Decimal("0.12345") * delivered / 1000
    assert Decimal(status["charge"]) == exact.quantize(Decimal("0.00001"), rounding="ROUND_HALF_UP")
    assert Decimal(status["charge"]) != exact  # the test means something: rounding happened
    assert balance(panel) == START - Decimal(status["charge"])


def test_a_cancel_refunds_to_the_rounded_charge(make_panel: PanelFactory) -> None:
    panel = make_panel(decimals=4)
    order = panel.add(KEY_A, service=3, quantity=1333)  # 0.16455885 -> 0.1646
    assert charge(panel, order) == Decimal("0.1646")
    panel.clock[0] += 10  # 10 sim-minutes: part delivered
    assert panel.call(KEY_A, "cancel", orders=str(order)) == [{"order": order, "cancel": 1}]
    status = panel.call(KEY_A, "status", order=order)
    assert status["status"] == "Partial"
    kept = Decimal(status["charge"])
    assert kept == kept.quantize(Decimal("0.0001")) and Decimal(0) < kept < Decimal("0.1646")
    assert balance(panel) == START - kept


def test_every_amount_answered_has_at_most_the_panels_decimals(make_panel: PanelFactory) -> None:
    panel = make_panel(decimals=3, partial_rate=0.5)
    orders = [
        panel.add(KEY_A, service=s, link=f"https://x.com/{s}/{q}", quantity=q)
        for s in (1, 3, 4, 20, 21)
        for q in (503, 1001, 1777)
    ]
    panel.clock[0] += 86_400
    amounts = [charge(panel, o) for o in orders] + [balance(panel)]
    assert all(-a.as_tuple().exponent <= 3 for a in amounts if a)  # type: ignore[operator]


@pytest.mark.parametrize(("service", "rate"), [(5, "2.75"), (16, "6.00")])
def test_a_package_costs_its_rate(panel: Panel, service: int, rate: str) -> None:
    """Package and Custom Comments Package: rate is the price of one package."""
    params = {"comments": "Nice\nGreat"} if service == 16 else {}
    answer = panel.call(KEY_A, "add", service=service, link="https://instagram.com/p/1", **params)
    order = int(answer["order"])
    assert charge(panel, order) == Decimal(rate)
    assert balance(panel) == START - Decimal(rate)
