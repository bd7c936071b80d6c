"""Apply asks the balance again before ordering when the plan's balance has aged (a
person slow to confirm, while another tool spends): the plan's cost above the balance of
now orders nothing.  Time is moved by the test's clock, not waited for."""

from __future__ import annotations

import sys
import time
from decimal import Decimal

import pytest

from runner.workflows import applying
from tests.conftest import Runner, Sim, followers, http_project, write_campaign


class SlowPerson:
    """A terminal whose user answers "yes" after ``seconds``, while ``meanwhile`` runs."""

    def __init__(self, seconds: float, meanwhile: object, clock: list[float]) -> None:
        self.seconds = seconds
        self.meanwhile = meanwhile
        self.clock = clock

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        self.clock[0] += self.seconds
        assert callable(self.meanwhile)
        self.meanwhile()
        return "yes\n"


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


def answered_after(
    seconds: float, sim: Sim, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    offset = [0.0]
    monkeypatch.setattr(applying, "monotonic", lambda: time.monotonic() + offset[0])
    spend = lambda: sim.panel.set_balance(Decimal("0.09"))  # noqa: E731 - another tool spends
    monkeypatch.setattr(sys, "stdin", SlowPerson(seconds, spend, offset))
    write_campaign("c", followers(2))  # 0.18 USD
    result = run("apply", "--no-reconcile")
    return result.code, result.out + result.err


def test_a_slow_confirmation_asks_the_balance_again(
    run: Runner, project: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, said = answered_after(applying.BALANCE_FRESH_SECONDS + 1, project, run, monkeypatch)
    assert code == 1, said
    assert (
        "panel demo: the balance is now 0.09 USD, below the plan's cost 0.18; nothing was ordered"
        in said
    )
    assert project.orders() == []


def test_a_quick_confirmation_trusts_the_balance_just_read(
    run: Runner, project: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within the freshness window the balance is not asked again (so here the panel
    itself refuses what it cannot pay: the re-check is what stops it above)."""
    code, said = answered_after(1.0, project, run, monkeypatch)
    assert "below the plan's cost" not in said
    assert code == 1 and "c/o1: rejected: Not enough funds on balance" in said, said
    assert len(project.orders()) == 1
