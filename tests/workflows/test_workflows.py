"""The application layer without the CLI: workflows take a Context and values, return
values, and report through the view or callbacks they are given (nothing is printed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runner.errors import Declined, InvalidCampaigns
from runner.execution.results import Outcome, Result
from runner.plans.plan import Kind, Plan
from runner.state import Phase, open_readonly
from runner.workflows import applying, planning, repair, stateview, status
from runner.workflows.context import Context
from runner.workflows.refreshing import refresh
from tests.conftest import Sim, followers, http_project, write_campaign


@dataclass
class RecordingView:
    """An ApplyView that keeps what a person would have seen."""

    approve: bool = True
    plans: list[Plan] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    opened: int = 0
    closed: int = 0

    def show_plan(self, plan: Plan) -> None:
        self.plans.append(plan)

    def confirm(self, plan: Plan) -> None:
        if not self.approve:
            raise Declined("no")

    def reconciled(self, lines: Sequence[str]) -> None:
        self.notices.extend(lines)

    def started(self, plan: Plan) -> None:
        self.opened += 1

    def outcome(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def stopped(self) -> None:
        self.closed += 1


@pytest.fixture
def ctx(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Context:
    http_project(sim, monkeypatch)
    return Context()


def test_plan_apply_refresh_status(
    ctx: Context, sim: Sim, capsys: pytest.CaptureFixture[str]
) -> None:
    write_campaign("c", followers(3))
    planned = planning.plan(ctx, ())
    assert planned.count(Kind.CREATE) == 3 and not planned.errors

    view = RecordingView()
    applied = applying.apply(ctx, (), view, parallelism=2)
    assert applied.report is not None and applied.report.ok
    assert [o.result for o in view.outcomes] == [Result.PLACED] * 3
    assert view.opened == view.closed == 1
    assert len(sim.orders()) == 3

    refreshed = refresh(ctx, ())
    assert refreshed.orders == 3 and not refreshed.panel_errors
    shown = status.overview(ctx, ())
    assert {r.phase for r in shown.rows} == {Phase.PLACED}
    assert shown.campaigns == ["c"]
    assert capsys.readouterr().out == ""  # workflows print nothing


def test_declined_apply_orders_nothing(ctx: Context, sim: Sim) -> None:
    write_campaign("c", followers(2))
    with pytest.raises(Declined):
        applying.apply(ctx, (), RecordingView(approve=False))
    assert sim.orders() == []
    assert open_readonly(ctx.state_location).records() == {}


def test_invalid_campaigns_raise_with_every_problem(ctx: Context) -> None:
    Path("campaigns").mkdir()
    Path("campaigns/a.yaml").write_text("campaign: a\norders: []\nbogus: 1\n")
    with pytest.raises(InvalidCampaigns) as caught:
        planning.plan(ctx, ())
    assert caught.value.details and all("a.yaml:" in d for d in caught.value.details)


def test_repair_asks_before_it_writes(ctx: Context, sim: Sim) -> None:
    write_campaign("c", followers(1))
    sim.faults.queue("drop_after", "add")
    applied = applying.apply(ctx, (), RecordingView())
    assert applied.report is not None
    assert [o.result for o in applied.report.outcomes] == [Result.IN_DOUBT]

    questions: list[str] = []

    def refuse(question: str) -> None:
        questions.append(question)
        raise Declined("no")

    with pytest.raises(Declined):
        repair.import_order(ctx, "c/o0", int(str(sim.orders()[0]["order"])), (), refuse)
    assert questions and "c/o0" in questions[0]
    assert stateview.show(ctx, "c/o0")["phase"] == "in_doubt"

    repair.import_order(ctx, "c/o0", int(str(sim.orders()[0]["order"])), (), lambda q: None)
    assert stateview.show(ctx, "c/o0")["phase"] == "placed"


def test_a_bug_while_asking_a_panel_is_raised_by_refresh_not_lost(
    ctx: Context, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panels are asked from threads: a bug there reaches the caller (exit 3), and
    nothing hangs; a panel's own failure is a panel error, as before."""
    write_campaign("c", followers(3))
    assert applying.apply(ctx, (), RecordingView(), parallelism=2).report is not None

    def broken(panel: str) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Context, "client", lambda self, panel: broken(panel))
    with pytest.raises(RuntimeError, match="a bug"):
        refresh(ctx, ())
