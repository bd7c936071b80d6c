"""`smm apply` end to end against the simulated panel over HTTP: every order at most once,
through faults, stale plans, concurrent applies and Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from runner.execution.pipeline import LOOKAHEAD
from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.limiter import Limiter
from runner.sim.server import BackgroundServer
from runner.sim.wire import SimEndpoint
from runner.state.lock import StateLock
from tests.conftest import REPO, SECRET_KEY, Runner, Sim, followers, http_project, write_campaign


def state(run: Runner) -> dict[str, Any]:
    result = run("state", "export")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def lose_record(address: str) -> None:
    """The record is lost (smm itself never drops a charged order: a damaged or replaced
    state does)."""
    with sqlite3.connect(".smm/state.db") as db:
        db.execute("DELETE FROM orders WHERE address = ?", (address,))


def phases(run: Runner) -> dict[str, tuple[str, int | None]]:
    return {o["address"]: (o["phase"], o["order_id"]) for o in state(run)["orders"]}


def assert_once(sim: Sim, run: Runner) -> None:
    """Every order the panel holds is recorded, and no address was ordered twice."""
    held = sorted(o["order"] for o in sim.orders())  # type: ignore[type-var]
    recorded = sorted(oid for _, oid in phases(run).values() if oid is not None)
    assert held == recorded
    links = [(o["service"], o["link"]) for o in sim.orders()]
    assert len(links) == len(set(links))


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


def test_clean_apply_then_nothing(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(3))
    result = run("apply", "--auto-approve")
    assert result.code == 0, result.out + result.err
    assert "Apply complete: 3 orders placed. Spent 0.27 USD." in result.out
    assert {p for p, _ in phases(run).values()} == {"placed"}
    assert_once(project, run)
    adds = project.endpoint.by_action["add"]
    again = run("apply", "--auto-approve")
    assert again.code == 0 and "No changes. Nothing to apply." in again.out
    assert project.endpoint.by_action["add"] == adds
    assert len(project.orders()) == 3


def test_no_terminal_and_no_auto_approve_refuses(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    result = run("apply")
    assert result.code == 1
    assert "pass --auto-approve" in result.err
    assert project.orders() == []


def test_json_events(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(2))
    result = run("apply", "--auto-approve", "--json")
    assert result.code == 0
    events = [json.loads(line) for line in result.out.splitlines()]
    assert [e["event"] for e in events] == ["start", "order", "order", "summary"]
    assert events[0]["creates"] == 2 and events[0]["cost"] == "0.18"
    assert {e["result"] for e in events[1:3]} == {"placed"}
    assert events[-1]["ok"] and events[-1]["spent"] == "0.18"


def test_saved_plan_applies_exactly_and_refuses_when_stale(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(2))
    assert run("plan", "-o", "plan.json").code == 0
    result = run("apply", "plan.json")  # no confirmation for a saved plan
    assert result.code == 0, result.out + result.err
    assert len(project.orders()) == 2
    stale = run("apply", "plan.json")
    assert stale.code == 1
    assert "plan.json is stale" in stale.err and "run smm plan again" in stale.err
    assert len(project.orders()) == 2


@pytest.mark.parametrize(
    ("fault", "phase", "exists"),
    [
        ("drop_after", "in_doubt", True),
        ("bad_json", "in_doubt", True),
        ("drop_before", "in_doubt", False),
        ("server_error", "in_doubt", False),
        ("html", "in_doubt", False),
    ],
)
def test_faults_are_classified(
    run: Runner, project: Sim, fault: str, phase: str, exists: bool
) -> None:
    write_campaign("c", followers(1))
    project.faults.queue(fault, action="add")
    result = run("apply", "--auto-approve")
    assert result.code == 1
    assert phases(run)["c/o0"] == (phase, None)
    assert "smm state import c/o0 ORDER_ID, or smm state retry c/o0" in result.out
    assert len(project.orders()) == (1 if exists else 0)
    assert project.endpoint.by_action["add"] == 1  # never re-sent
    # blocked: the next apply does not send it again
    again = run("apply", "--auto-approve")
    assert again.code == 1 and "? in-doubt  c/o0" in again.out  # never green while in doubt
    assert project.endpoint.by_action["add"] == 1


def test_in_doubt_resolved_by_import(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    project.faults.queue("drop_after", action="add")
    run("apply", "--auto-approve")
    (held,) = project.orders()
    result = run("state", "import", "c/o0", str(held["order"]), "--yes")
    assert result.code == 0, result.err
    assert phases(run)["c/o0"] == ("placed", held["order"])
    assert run("apply", "--auto-approve").code == 0
    assert len(project.orders()) == 1
    shown = json.loads(run("state", "show", "c/o0", "--json").out)
    assert [e["kind"] for e in shown["events"]] == ["submitting", "in_doubt", "imported"]
    assert [o["status"] for o in shown["history"]] == ["Pending"]


def test_in_doubt_resolved_by_retry(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    project.faults.queue("drop_before", action="add")
    run("apply", "--auto-approve")
    assert project.orders() == []
    assert run("state", "retry", "c/o0", "--yes").code == 0
    assert run("apply", "--auto-approve").code == 0
    assert_once(project, run)
    assert len(project.orders()) == 1


def test_import_checks_the_order_exists(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    result = run("state", "import", "c/o0", "12345", "--yes")
    assert result.code == 1 and "Incorrect order ID" in result.err
    assert state(run)["orders"] == []


def test_rate_limited_add_is_retried(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    project.faults.retry_after = 0
    project.faults.queue("rate_limit", action="add", count=2)
    assert run("apply", "--auto-approve").code == 0
    assert project.endpoint.by_action["add"] == 3 and len(project.orders()) == 1


def test_never_sent_is_rejected_and_planned_again(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    project.faults.retry_after = 0
    project.faults.queue("rate_limit", action="add", count=20)
    result = run("apply", "--auto-approve")
    assert result.code == 1 and "c/o0: not sent" in result.out
    assert phases(run)["c/o0"] == ("rejected", None)
    project.faults.clear()
    assert run("apply", "--auto-approve").code == 0
    assert_once(project, run)


def test_balance_is_checked_again_before_executing(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(2))
    assert run("plan", "-o", "plan.json").code == 0
    project.panel.set_balance(Decimal("0.09"))  # spent elsewhere since the plan was made
    result = run("apply", "plan.json")  # planned again with the balance of now
    assert result.code == 1
    assert "the plan costs 0.18 USD, above the balance of 0.09 USD" in result.out
    assert project.orders() == []


def test_panel_refusal_is_rejected_with_its_message(run: Runner, project: Sim) -> None:
    write_campaign(
        "c", [*followers(1), "{id: bad, service: 1, link: https://instagram.com/u0, quantity: 100}"]
    )
    result = run("apply", "--auto-approve")
    assert result.code == 1
    assert "warning: c/o0, c/bad: two active orders for service 1" in result.out
    assert "You have active order with this link" in result.out
    assert "(the next apply tries again)" in result.out
    recorded = phases(run)
    (loser,) = [a for a, (phase, _) in recorded.items() if phase == "rejected"]
    (winner,) = [a for a, (phase, _) in recorded.items() if phase == "placed"]
    plan = run("plan", "--json")
    actions = {a["address"]: a for a in json.loads(plan.out)["actions"]}
    assert actions[loser]["action"] == "create" and actions[winner]["action"] == "no-op"
    assert "You have active order with this link" in actions[loser]["reason"]


def test_lock_holder_is_named(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    held = StateLock(Path(".smm/state.db"))
    held.acquire()
    try:
        result = run("apply", "--auto-approve")
    finally:
        held.release()
    assert result.code == 1
    assert f"the state is locked by pid {os.getpid()} on " in result.err
    assert project.orders() == []
    assert run("apply", "--auto-approve", "--lock-timeout", "1").code == 0


def _spawn(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Watched:
    """A running smm whose output is read as it comes, so that a test waits for what it
    says (an event) rather than for a fixed time."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.out: list[str] = []
        self.err: list[str] = []
        self._cond = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(stream, into), daemon=True)
            for stream, into in ((proc.stdout, self.out), (proc.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any, into: list[str]) -> None:
        for line in stream:
            with self._cond:
                into.append(line)
                self._cond.notify_all()

    def said(self, text: str, timeout: float = 30) -> bool:
        """True once ``text`` is in a line of its output (False at ``timeout``)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: any(text in line for line in self.out + self.err), timeout
            )

    def interrupt(self) -> None:
        self.proc.send_signal(signal.SIGINT)

    def interrupt_twice(self) -> None:
        """Ctrl-C, and again once the first was taken (two signals at once are one)."""
        self.interrupt()
        assert self.said("Interrupted: starting nothing new"), self.err
        self.interrupt()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code, "".join(self.out), "".join(self.err)


def submitting(state: Path) -> int:
    """Records in `submitting` in the state a running apply writes."""
    import sqlite3

    if not state.exists():
        return 0
    db = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return int(
            db.execute("SELECT count(*) FROM orders WHERE phase = 'submitting'").fetchone()[0]
        )
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def until(condition: Callable[[], bool], timeout: float = 30) -> bool:
    """Look at ``condition`` until it holds (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "SIM_KEY": SECRET_KEY}


@pytest.mark.parametrize("applies", [2, 4])
def test_concurrent_applies_place_each_order_once(run: Runner, project: Sim, applies: int) -> None:
    project.faults.latency_ms = 20
    write_campaign("c", followers(20))
    procs = [_spawn(["apply", "--auto-approve"], Path.cwd(), _env()) for _ in range(applies)]
    results = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    winners = [r for r in results if r[0] == 0 and "20 orders placed" in r[1]]
    assert len(winners) == 1, results
    losers = [r for r in results if r is not winners[0]]
    for code, _out, err in losers:
        assert (code == 0) or "the state is locked by pid" in err
    assert len(project.orders()) == 20
    assert_once(project, run)


def test_json_events_never_run_ahead_of_the_state(
    run: Runner, project: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order's event is printed once its outcome is committed: killed right after it,
    the state still says what the output said."""
    from runner.commands import applyview as apply_command
    from runner.state import open_readonly
    from runner.state.groupcommit import GroupWriter

    commit = GroupWriter._commit

    def slow_commit(self: GroupWriter, batch: Any) -> None:
        time.sleep(0.03)  # a slow disk: outcomes wait in the queue
        commit(self, batch)

    seen: dict[str, str] = {}
    emit = apply_command.TerminalView.emit

    def checking_emit(self: apply_command.TerminalView, event: dict[str, Any]) -> None:
        if "address" in event:
            record = open_readonly(Path(".smm/state.db")).record(str(event["address"]))
            seen[str(event["address"])] = record.phase.value if record else "none"
        emit(self, event)

    monkeypatch.setattr(GroupWriter, "_commit", slow_commit)
    monkeypatch.setattr(apply_command.TerminalView, "emit", checking_emit)
    write_campaign("c", followers(12))
    result = run("apply", "--auto-approve", "--format", "json", "--parallelism", "4")
    assert result.code == 0, result.err
    assert seen == {f"c/o{i}": "placed" for i in range(12)}


def test_ctrl_c_leaves_nothing_lost(run: Runner, project: Sim) -> None:
    project.faults.latency_ms = 150
    write_campaign("c", followers(30))
    proc = _spawn(["apply", "--auto-approve", "--parallelism", "2"], Path.cwd(), _env())
    deadline = time.time() + 30  # placing, however slow the machine is to start it
    while time.time() < deadline and project.endpoint.by_action.get("add", 0) < 4:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Apply interrupted" in out and "not started" in out
    recorded = phases(run)
    held = {o["order"] for o in project.orders()}
    assert 0 < len(held) < 30
    assert {oid for _, oid in recorded.values() if oid} == held
    assert all(p == "placed" for p, _ in recorded.values())  # in-flight ones finished
    assert run("apply", "--auto-approve").code == 0  # the rest, once
    assert len(project.orders()) == 30
    assert_once(project, run)


def test_second_ctrl_c_leaves_in_flight_in_doubt(run: Runner, project: Sim) -> None:
    # An own order known first: creates then go out together (runner.execution.pacer).
    write_campaign("known", followers(1, start=9))
    assert run("apply", "--auto-approve").code == 0
    project.faults.latency_ms = 3000
    project.faults.actions = frozenset({"add"})
    # the last two are held back until the others end; no two alike, so two go out together
    write_campaign("c", followers(4, step=10))
    proc = Watched(_spawn(["apply", "--auto-approve", "--parallelism", "2"], Path.cwd(), _env()))
    assert until(lambda: project.endpoint.by_action.get("add", 0) >= 1 + 2)  # both in flight
    proc.interrupt_twice()
    code, _out, err = proc.finish()
    assert code == 130, err
    recorded = phases(run)
    del recorded["known/o9"]
    assert recorded == {"c/o0": ("in_doubt", None), "c/o1": ("in_doubt", None)}


def test_second_ctrl_c_withdraws_what_no_sender_took(run: Runner, project: Sim) -> None:
    """Orders recorded `submitting` ahead of the senders and not yet handed to one were
    surely never sent: the second Ctrl-C withdraws them (only the one in flight is in
    doubt), and the next apply places them."""
    write_campaign("known", followers(1, start=9))
    assert run("apply", "--auto-approve").code == 0
    project.faults.latency_ms = 4000
    project.faults.actions = frozenset({"add"})
    write_campaign("c", followers(6, step=10))  # none alike: recorded ahead of the sender
    proc = Watched(_spawn(["apply", "--auto-approve", "--parallelism", "1"], Path.cwd(), _env()))
    assert until(lambda: project.endpoint.by_action.get("add", 0) >= 1 + 1)  # one in flight
    # The lookahead is recorded `submitting` behind the one sender: the one in flight,
    # LOOKAHEAD handed over, and one more waiting to be (its record committed too).
    assert until(lambda: submitting(Path(".smm/state.db")) >= 1 + LOOKAHEAD + 1)
    proc.interrupt_twice()
    code, _out, err = proc.finish()
    assert code == 130, err
    recorded = phases(run)
    del recorded["known/o9"]
    ((sent, phase),) = recorded.items()  # only the order in flight is recorded
    assert phase == ("in_doubt", None)
    assert "1 order in flight is recorded as in doubt;" in err
    withdrawn = int(err.split("in doubt; ")[1].split(" order")[0])
    assert withdrawn >= 2, err  # the lookahead, never sent
    project.faults.latency_ms = 0
    again = run("apply", "--auto-approve")
    assert again.code == 1  # the one in doubt keeps the run red; the others are placed
    placed = {a for a, (p, _) in phases(run).items() if p == "placed"}
    assert placed == {"known/o9"} | {f"c/o{i}" for i in range(6)} - {sent}
    assert project.endpoint.by_action["add"] == 1 + 1 + 5


def test_a_killed_apply_leaves_submitting_as_in_doubt(run: Runner, project: Sim) -> None:
    project.faults.latency_ms = 3000
    project.faults.actions = frozenset({"add"})
    write_campaign("c", followers(1))
    proc = _spawn(["apply", "--auto-approve"], Path.cwd(), _env())
    deadline = time.time() + 20
    while time.time() < deadline and not project.endpoint.by_action.get("add"):
        time.sleep(0.05)
    proc.kill()
    proc.communicate()
    assert phases(run)["c/o0"] == ("submitting", None)
    plan = run("plan", "--json")
    assert [a["action"] for a in json.loads(plan.out)["actions"]] == ["in-doubt"]
    project.faults.latency_ms = 0
    again = run("apply", "--auto-approve")
    assert again.code == 1 and phases(run)["c/o0"][0] == "in_doubt"  # never green


def test_refill_and_cancel_through_batches(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    panel = SimPanel(":memory:", speed=60, clock=lambda: clock[0])
    endpoint = SimEndpoint(panel, FaultPlan())
    with BackgroundServer(endpoint) as server:
        http_project(Sim(panel, endpoint, server.url), monkeypatch)
        write_campaign("c", followers(3))
        assert run("apply", "--auto-approve").code == 0
        write_campaign(
            "c",
            [
                "{id: o0, service: 1, link: https://instagram.com/u0, quantity: 100, refills: 1}",
                "{id: o1, service: 1, link: https://instagram.com/u1, quantity: 100, cancel: true}",
                "{id: o2, service: 1, link: https://instagram.com/u2, quantity: 100, refills: 1}",
            ],
        )
        plan = json.loads(run("plan", "--json").out)
        assert [a["action"] for a in plan["actions"]] == ["wait", "cancel", "wait"]
        assert run("apply", "--auto-approve").code == 0
        clock[0] += 3600
        result = run("apply", "--auto-approve")
        assert result.code == 0, result.out
        assert "2 refills" in result.out
        records = {o["address"]: o for o in state(run)["orders"]}
        assert records["c/o1"]["cancel"]["ok"] is True
        assert [r["refill_id"] is not None for r in records["c/o0"]["refills"]] == [True]
        assert run("apply", "--auto-approve").out.endswith("No changes. Nothing to apply.\n")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code", "placed"), [("yes\n", 0, 1), ("y\n", 1, 0)])
def test_confirmation_on_a_terminal(
    run: Runner, project: Sim, monkeypatch: pytest.MonkeyPatch, answer: str, code: int, placed: int
) -> None:
    write_campaign("c", followers(1))
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    result = run("apply")
    assert result.code == code
    assert "Place these orders? Only 'yes' will be accepted:" in result.out
    assert len(project.orders()) == placed


def test_import_refuses_an_order_another_address_holds(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(2))
    project.faults.queue("drop_after", action="add")
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile")
    held = {o["order"] for o in project.orders()}
    placed = next(oid for _, oid in phases(run).values() if oid is not None)
    doubtful = next(a for a, (p, _) in phases(run).items() if p == "in_doubt")
    result = run("state", "import", doubtful, str(placed), "--yes")
    assert result.code == 1 and "already recorded as" in result.err
    assert phases(run)[doubtful][0] == "in_doubt"
    (lost,) = held - {placed}
    assert run("state", "import", doubtful, str(lost), "--yes").code == 0


def test_import_refuses_an_order_whose_charge_does_not_fit(run: Runner, project: Sim) -> None:
    """Another order of the account (here: 10x the quantity) is not this order's, unless
    the person insists."""
    write_campaign("c", followers(1))
    project.faults.queue("drop_after", action="add")
    run("apply", "--auto-approve")
    write_campaign("other", followers(1, start=7, quantity=1000))
    assert run("apply", "--auto-approve", "campaigns/other.yaml").code == 0
    other = max(int(str(o["order"])) for o in project.orders())
    lose_record("other/o7")
    result = run("state", "import", "c/o0", str(other), "--yes")
    assert result.code == 1
    assert "does not look like c/o0: its charge 0.90 is above the order's cost 0.09" in result.err
    assert phases(run)["c/o0"][0] == "in_doubt"
    forced = run("state", "import", "c/o0", str(other), "--yes", "--force")
    assert forced.code == 0, forced.err
    events = json.loads(run("state", "show", "c/o0", "--json").out)["events"]
    assert events[-1]["detail"]["forced"] is True


def test_plan_warns_when_two_addresses_share_an_order(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(2))
    project.faults.queue("drop_after", action="add")
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile")
    doubtful = next(a for a, (p, _) in phases(run).items() if p == "in_doubt")
    placed = next(oid for _, oid in phases(run).values() if oid is not None)
    # A state edited by hand (or by an older smm) can hold the same order twice.
    import sqlite3

    db = sqlite3.connect(".smm/state.db")
    db.execute(
        "UPDATE orders SET phase = 'placed', order_id = ? WHERE address = ?", (placed, doubtful)
    )
    db.commit()
    db.close()
    result = run("plan")
    assert f"are all recorded as order {placed}" in result.out


def test_outcome_lines_and_summary_read_as_sentences() -> None:
    from runner.execution.results import ApplyResult, Outcome, Result
    from runner.render.apply import outcome_line, summary

    placed = Outcome("c/a", Result.PLACED, "", 20007, Decimal("0.27"), "USD")
    refill = Outcome("c/b", Result.REFILL_REQUESTED, "refill 5", 20008)
    refused = Outcome("c/d", Result.REJECTED, "Not enough funds on balance")
    assert outcome_line(placed) == "  c/a: placed, order 20007, 0.27 USD"
    assert outcome_line(refill) == "  c/b: refill requested, order 20008 (refill 5)"
    assert outcome_line(refused) == "  c/d: rejected: Not enough funds on balance"
    assert summary(ApplyResult([placed]))[0] == "Apply complete: 1 order placed. Spent 0.27 USD."
    two = ApplyResult([placed, placed, refill, refused], interrupted=True)
    assert summary(two) == [
        "Apply interrupted: 2 orders placed, 1 rejected, 1 refill requested. Spent 0.54 USD.",
        "  c/d: rejected: Not enough funds on balance (the next apply tries again)",
    ]
    # nothing spent is still money in a currency: the plan's
    assert summary(ApplyResult([refill]), "USD") == [
        "Apply complete: 1 refill requested. Spent 0.00 USD."
    ]


def test_ctrl_c_while_the_panels_limit_holds_the_senders_stops_at_once(
    run: Runner, project: Sim
) -> None:
    """A panel limited to 3 a minute makes the senders wait (Retry-After, then the pace):
    the first Ctrl-C ends those waits at once, the waiting orders are withdrawn (never
    sent), none is in doubt, and the next apply places them, each once."""
    project.endpoint.limiter = Limiter(3, 60.0)
    write_campaign("c", followers(12))
    proc = Watched(_spawn(["apply", "--auto-approve", "--parallelism", "4"], Path.cwd(), _env()))
    assert until(lambda: project.endpoint.limited >= 2)  # the senders hold (Retry-After)
    interrupted = time.monotonic()
    proc.interrupt()
    code, out, err = proc.finish()
    assert time.monotonic() - interrupted < 5  # not the 20 s the panel asked to wait
    assert code == 130, out + err
    recorded = phases(run)
    held = {o["order"] for o in project.orders()}
    assert 1 <= len(held) <= 3  # (plan and the balance check took tokens too)
    assert {oid for _, oid in recorded.values() if oid} == held
    assert all(p == "placed" for p, _ in recorded.values())  # no record but the placed
    project.endpoint.limiter = None
    assert run("apply", "--auto-approve").code == 0
    assert_once(project, run)


def test_second_ctrl_c_while_held_by_the_panels_limit_leaves_none_in_doubt(
    run: Runner, project: Sim
) -> None:
    """Orders a sender took but that wait for the panel's turn (a 429 behind them) were
    never sent: Ctrl-C withdraws them rather than leaving them in doubt; only what the
    senders had on the wire may be in doubt, and no record is left `submitting`."""
    project.endpoint.limiter = Limiter(3, 1.0)
    write_campaign("c", followers(40))
    proc = Watched(_spawn(["apply", "--auto-approve", "--parallelism", "8"], Path.cwd(), _env()))
    assert until(lambda: project.endpoint.by_action.get("add", 0) >= 10)
    proc.interrupt_twice()
    code, _out, err = proc.finish()
    assert code == 130, err
    recorded = phases(run)
    held = {o["order"] for o in project.orders()}
    assert [a for a, (p, _) in recorded.items() if p == "submitting"] == []
    doubtful = [a for a, (p, _) in recorded.items() if p == "in_doubt"]
    assert len(doubtful) <= 8, err  # at most one request per sender was on the wire
    assert {oid for _, oid in recorded.values() if oid} <= held
    project.endpoint.limiter = None
    result = run("apply", "--auto-approve")
    assert result.code in (0, 1), result.err
