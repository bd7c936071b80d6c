"""What a campaign's orders count against its budget.  A panel's reported charge is only
final once an order is: until then the budget counts the larger of our estimate and the
charge, after it the charge; a plan says where the two differ by more than a rounding.
The hostile panels here report "0" for pending orders, or round charges to cents."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from runner.state import LastStatus, OrderRecord, Phase
from runner.state.spend import charge_differs, counted, counts_charge
from tests.conftest import SECRET_KEY, Runner, write_campaign, write_project
from tests.hostile import HostilePanel

D = Decimal


@pytest.mark.parametrize(
    ("estimate", "charge", "status", "expected"),
    [
        ("0.90", "0", "Pending", "0.90"),  # a pending "0" is not a refund
        ("0.90", "0", "In progress", "0.90"),
        ("0.90", "0.95", "In progress", "0.95"),  # the panel took more: the larger
        ("0.90", None, "Pending", "0.90"),
        ("0.90", "0.45", "Partial", "0.45"),  # finished: the panel's word
        ("0.90", "0", "Canceled", "0"),
        ("0.90", "1.20", "Completed", "1.20"),
        ("0.90", None, "Completed", "0.90"),  # finished, nothing reported: the estimate
        ("0.90", "0.30", "Something new", "0.90"),  # a status we do not know is not an end
        (None, "0.30", "Pending", "0.30"),
        (None, None, None, "0"),
    ],
)
def test_counted_until_and_after_an_order_is_finished(
    estimate: str | None, charge: str | None, status: str | None, expected: str
) -> None:
    e = None if estimate is None else D(estimate)
    c = None if charge is None else D(charge)
    assert counted(e, c, status) == D(expected)
    assert counts_charge(e, c, status) == (c is not None and counted(e, c, status) == c)


@pytest.mark.parametrize(
    ("estimate", "charge", "status", "says"),
    [
        ("0.90", "0.90", "Completed", None),
        ("0.002", "0.01", "In progress", None),  # rounded up to the cent: a rounding
        ("0.002", "0.00", "Completed", None),  # rounded down to the cent
        ("0.905", "0.91", "Pending", None),
        ("0.90", "0.45", "Partial", None),  # a refund is lower, as expected
        ("0.90", "0", "Canceled", None),
        ("0.90", "0", "Pending", "below the estimate 0.90, while Pending: counting 0.90"),
        ("0.90", "0.95", "Completed", "above the estimate 0.90: counting the charge"),
        ("0.90", "0.50", "Completed", "below the estimate 0.90: counting the charge"),
        ("0.90", "1.50", "Partial", "above the estimate 0.90"),  # a refund is never higher
        ("0.90", None, "Pending", None),
    ],
)
def test_a_difference_beyond_a_rounding_is_said(
    estimate: str, charge: str | None, status: str, says: str | None
) -> None:
    note = charge_differs(D(estimate), None if charge is None else D(charge), status, {})
    if says is None:
        assert note is None
    else:
        assert note is not None and says in note, note


def test_a_subscription_charged_below_its_worst_case_is_not_a_difference() -> None:
    spec = {"service_type": "Subscriptions"}
    assert charge_differs(D("2.10"), D("0.35"), "Completed", spec) is None
    assert charge_differs(D("2.10"), D("2.50"), "Completed", spec) is not None


def test_a_rejected_order_counts_nothing() -> None:
    last = LastStatus("Completed", 0, 0, D("0.90"), "USD", "t")
    record = OrderRecord("c/a", "c", "p", "f", Phase.REJECTED, {}, None, D("0.90"), last=last)
    assert record.spent == 0 and not record.spent_is_charge


SERVICES = [
    {"service": 1, "name": "Followers", "type": "Default", "rate": "9.00", "min": 10, "max": 1000},
    {"service": 2, "name": "Cheap", "type": "Default", "rate": "0.02", "min": 10, "max": 1000},
]


def _order(i: int, service: int = 1) -> str:
    return f"{{id: o{i}, service: {service}, link: https://instagram.com/u{i}, quantity: 100}}"


def _panel(hostile: HostilePanel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HP_KEY", SECRET_KEY)
    write_project(Path.cwd(), {"hp": {"url": hostile.url, "key_env": "HP_KEY"}})
    hostile.reply(SERVICES, action="services")
    hostile.reply({"balance": "100", "currency": "USD"}, action="balance")


def _statuses(hostile: HostilePanel, ids: list[int], charge: str, status: str) -> None:
    answer = {
        str(i): {
            "charge": charge,
            "start_count": "0",
            "status": status,
            "remains": "100",
            "currency": "USD",
        }
        for i in ids
    }
    hostile.clear("status").reply(answer, action="status")


def _spent(run: Runner) -> Decimal:
    status = run("status", "--json")
    assert status.code == 0, status.err
    (campaign,) = json.loads(status.out)["campaigns"]
    return Decimal(campaign["spent"])


def test_a_panel_charging_0_while_pending_lets_no_order_past_the_budget(
    hostile: HostilePanel, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four 0.90 orders added one apply at a time to a 1.00 budget: only the first goes."""
    _panel(hostile, monkeypatch)
    hostile.reply({"order": 101}, action="add")
    write_campaign("c", [_order(1)], extra="budget: 1.00\n", panel="hp")
    _statuses(hostile, [], "0", "Pending")
    assert run("apply", "--auto-approve").code == 0
    _statuses(hostile, [101], "0", "Pending")
    for n in (2, 3, 4):
        write_campaign(
            "c", [_order(i) for i in range(1, n + 1)], extra="budget: 1.00\n", panel="hp"
        )
        result = run("apply", "--auto-approve")
        assert result.code == 1, result.out + result.err
        planned = Decimal("0.90") * (n - 1)
        said = f"(recorded 0.90 USD + planned {planned:.2f} USD) is above its budget 1.00 USD"
        assert said in result.out, result.out
    assert hostile.actions().count("add") == 1
    plan = run("plan")
    assert "c/o1: the panel reports a charge of 0.00, below the estimate 0.90" in plan.out
    assert run("refresh").code == 0
    assert _spent(run) == Decimal("0.90")
    status = run("status")
    assert "c/o1: the panel reports a charge of 0.00, below the estimate 0.90" in status.out


def test_a_panel_rounding_charges_to_cents_is_counted_at_its_charge(
    hostile: HostilePanel, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0.002 estimated, 0.01 charged (the cent it rounds to): a 0.01 budget holds one."""
    _panel(hostile, monkeypatch)
    hostile.reply({"order": 201}, action="add")
    write_campaign("c", [_order(1, service=2)], extra="budget: 0.01\n", panel="hp")
    _statuses(hostile, [], "0.01", "In progress")
    assert run("apply", "--auto-approve").code == 0
    _statuses(hostile, [201], "0.01", "In progress")
    write_campaign(
        "c", [_order(i, service=2) for i in (1, 2, 3, 4)], extra="budget: 0.01\n", panel="hp"
    )
    result = run("apply", "--auto-approve")
    assert result.code == 1
    assert "recorded 0.01 USD + planned 0.006 USD" in (result.out + result.err).replace("\n", " ")
    assert hostile.actions().count("add") == 1
    assert _spent(run) == Decimal("0.01")
    assert "differ" not in run("plan").out  # a rounding is not a difference worth a word


def test_many_differences_are_named_a_few_at_a_time() -> None:
    """A panel that answers "0" for every pending order: five named, one line for the
    rest, and every order still counted at its estimate."""
    from runner.plans.budgets import CHARGE_NOTES, charge_warnings
    from runner.plans.facts import recorded_charge

    pending = LastStatus("Pending", 100, 0, D("0"), "USD", "t")
    records = [
        OrderRecord(f"c/o{i}", "c", "p", "f", Phase.PLACED, {}, i + 1, D("0.90"), last=pending)
        for i in range(40)
    ]
    assert sum((recorded_charge(r, None) for r in records), D(0)) == D("36.00")
    warnings = charge_warnings("c", records, {})
    assert [w.address for w in warnings] == [f"c/o{i}" for i in range(CHARGE_NOTES)] + [None]
    assert all(w.level == "warning" for w in warnings)
    assert warnings[-1].message == (
        "campaign c: 35 more not named here (smm status shows every order whose charge is "
        "not the estimate)"
    )
    assert len(charge_warnings("c", records[:CHARGE_NOTES], {})) == CHARGE_NOTES
