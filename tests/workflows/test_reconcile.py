"""Lost answers settled from the panel's evidence, against the simulator over HTTP: import,
proven absent, and each reason to stay in doubt (identical orders, no upper bound yet, a
candidate another record claims, a charge that does not fit, the call budget)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner, Sim, StoreClock, http_project, write_campaign


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


def seed(run: Runner) -> None:
    """An own order known on the panel: later requests have a lower bound."""
    write_campaign("seed", ["{id: s, service: 1, link: https://instagram.com/seed, quantity: 500}"])
    assert run("apply", "--auto-approve", "campaigns/seed.yaml").code == 0


def distinct(n: int, start: int = 0) -> list[str]:
    """Orders that differ in quantity (and so in charge): evidence can tell them apart."""
    return [
        f"{{id: o{i}, service: 1, link: https://instagram.com/r{i}, quantity: {100 + 10 * i}}}"
        for i in range(start, start + n)
    ]


def identical(n: int) -> list[str]:
    return [
        f"{{id: o{i}, service: 1, link: https://instagram.com/s{i}, quantity: 100}}"
        for i in range(n)
    ]


def records(run: Runner) -> dict[str, dict[str, Any]]:
    data = json.loads(run("state", "export").out)
    return {o["address"]: o for o in data["orders"]}


def truth(sim: Sim) -> dict[str, int]:
    """Link -> order id, as the panel holds them."""
    return {str(o["link"]): int(str(o["order"])) for o in sim.orders()}


def assert_no_wrong_import(sim: Sim, run: Runner) -> None:
    """Every order id the state holds is the panel's order for that address's link."""
    held = truth(sim)
    for address, record in records(run).items():
        if record["order_id"] is not None and address.startswith("c/"):
            link = f"https://instagram.com/s{address.split('/o')[-1]}"
            assert held.get(link) == record["order_id"], address


def assert_once_and_recorded(sim: Sim, run: Runner) -> None:
    held = truth(sim)
    assert len(held) == len(sim.orders())  # no link ordered twice
    recorded = {r["order_id"] for r in records(run).values() if r["order_id"]}
    assert set(held.values()) == recorded


def test_a_lost_answer_is_found_and_imported_in_the_same_apply(run: Runner, project: Sim) -> None:
    seed(run)
    write_campaign("c", distinct(4))
    project.faults.queue("drop_after", action="add")  # the first order's answer is lost
    result = run("apply", "--auto-approve", "--parallelism", "1", "campaigns/c.yaml")
    assert result.code == 0, result.out + result.err
    assert "reconcile: c/o0: imported order" in result.out
    state = records(run)
    assert {r["phase"] for r in state.values()} == {"placed"}
    assert state["c/o0"]["order_id"] == truth(project)["https://instagram.com/r0"]
    event = json.loads(run("state", "show", "c/o0", "--json").out)["events"][-1]
    assert event["kind"] == "imported" and event["detail"]["by"] == "reconcile"
    assert event["detail"]["window"]["high"] is not None  # bounded by a later order
    assert_once_and_recorded(project, run)


def test_the_first_order_ever_is_never_imported_from_a_window_without_a_start(
    run: Runner, project: Sim
) -> None:
    """No own order known before it: any older order of the account (one placed by hand
    long ago) would look the same.  It stays in doubt, and says why."""
    write_campaign("c", distinct(4))
    project.faults.queue("drop_after", action="add")
    result = run("apply", "--auto-approve", "--parallelism", "1")
    assert result.code == 1
    assert "c/o0: still in doubt: no own order was known before it was sent" in result.out
    assert records(run)["c/o0"]["phase"] == "in_doubt"


def test_an_order_proven_absent_is_placed_again_in_the_same_apply(
    run: Runner, project: Sim
) -> None:
    seed(run)
    write_campaign("c", distinct(3))
    project.faults.queue("drop_before", action="add")  # lost before the panel saw it
    result = run("apply", "--auto-approve", "--parallelism", "1", "campaigns/c.yaml")
    assert result.code == 0, result.out + result.err
    assert "c/o0: proven absent, placed again" in result.out
    assert {r["phase"] for r in records(run).values()} == {"placed"}
    assert len(project.orders()) == 4  # the seed, and the three once each
    assert_once_and_recorded(project, run)


def lose(run: Runner, project: Sim, clock: StoreClock, orders: list[str], *faults: str) -> None:
    """An apply whose first answers are lost, left in doubt (no reconciliation)."""
    seed(run)
    write_campaign("c", orders)
    for fault in faults:
        project.faults.queue(fault, action="add")
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile", "campaigns/c.yaml")
    clock.advance(1.0)  # past the settle time of the test panels (0.3 s)


def test_look_alikes_in_doubt_are_matched_in_the_order_they_were_sent(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    """Two identical orders lost in a row: sent one at a time (the second only once the
    first surely ended, and after a survey), so the panel's ids follow their order."""
    lose(run, project, store_clock, identical(3), "drop_after", "drop_after")
    result = run("reconcile", "--json")
    found = json.loads(result.out)
    assert result.code == 0, result.out
    verdicts = {d["address"]: d["verdict"] for d in found["decisions"]}
    assert verdicts == {"c/o0": "import", "c/o1": "import"}
    reasons = {d["address"]: d["reason"] for d in found["decisions"]}
    assert "the panel held it before the next look-alike was sent" in reasons["c/o0"]
    held = truth(project)
    state = records(run)
    for n in range(3):
        assert state[f"c/o{n}"]["order_id"] == held[f"https://instagram.com/s{n}"]


def test_look_alikes_sent_together_are_never_guessed(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    """identical_in_flight lifts the rule: two look-alikes lost together cannot be told
    apart, and are not guessed."""
    Path("smm.yaml").write_text(Path("smm.yaml").read_text() + "    identical_in_flight: 4\n")
    seed(run)
    write_campaign("c", identical(4))
    for fault in ("drop_after", "drop_after"):
        project.faults.queue(fault, action="add")
    run("apply", "--auto-approve", "--parallelism", "4", "--no-reconcile", "campaigns/c.yaml")
    store_clock.advance(1.0)  # past the settle time of the test panels (0.3 s)
    found = json.loads(run("reconcile", "--json").out)
    assert len(found["decisions"]) == 2
    for decision in found["decisions"]:
        assert decision["verdict"] == "undecided"
        assert "cannot be told" in decision["reason"]
    assert_no_wrong_import(project, run)


def test_no_upper_bound_yet_stays_in_doubt(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    """Nothing was sent after the lost request: absence cannot be proven."""
    lose(run, project, store_clock, distinct(1), "drop_before")
    result = run("reconcile", "--json")
    (decision,) = json.loads(result.out)["decisions"]
    assert result.code == 1 and decision["verdict"] == "undecided"
    assert "no own order was sent after it" in decision["reason"]


def test_a_candidate_another_record_claims_is_never_imported(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    lose(run, project, store_clock, distinct(3), "drop_after")
    lost = truth(project)["https://instagram.com/r0"]
    # A person imported the lost order under the wrong address meanwhile.
    db = sqlite3.connect(".smm/state.db")
    db.execute("UPDATE orders SET order_id = ? WHERE address = 'c/o2'", (lost,))
    db.commit()
    db.close()
    found = json.loads(run("reconcile", "--json").out)
    for decision in found["decisions"]:
        assert decision["order_id"] != lost
    assert records(run)["c/o0"]["order_id"] != lost


def test_a_candidate_whose_charge_does_not_fit_is_not_imported(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    lose(run, project, store_clock, distinct(3), "drop_after")
    db = sqlite3.connect(".smm/state.db")
    db.execute("UPDATE orders SET estimated_cost = '5.00' WHERE address = 'c/o0'")
    db.commit()
    db.close()
    (decision,) = json.loads(run("reconcile", "--json").out)["decisions"]
    assert decision["verdict"] == "undecided" and "do not fit it" in decision["reason"]


def test_the_call_budget_is_kept_and_reported(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    lose(run, project, store_clock, distinct(3), "drop_before")
    Path("smm.yaml").write_text(Path("smm.yaml").read_text() + "    reconcile_calls: 0\n")
    result = run("reconcile", "--json")
    found = json.loads(result.out)
    assert found["calls"] == 0
    (decision,) = found["decisions"]
    assert decision["verdict"] == "undecided" and "budget ran out" in decision["reason"]


def test_plan_shows_what_it_would_do_and_changes_nothing(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    lose(run, project, store_clock, distinct(3), "drop_after")
    before = records(run)
    result = run("plan")
    assert "c/o0: would import order" in result.out
    assert records(run) == before
    applied = run("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert records(run)["c/o0"]["phase"] == "placed"
    assert_once_and_recorded(project, run)


def test_dry_run_records_nothing(run: Runner, project: Sim, store_clock: StoreClock) -> None:
    lose(run, project, store_clock, distinct(3), "drop_before")
    before = records(run)
    result = run("reconcile", "--dry-run")
    assert "c/o0: proven absent, would place again" in result.out
    assert records(run) == before
    assert run("reconcile").code == 0
    assert records(run)["c/o0"]["phase"] == "rejected"  # planned again by the next apply


def test_apply_says_when_it_holds_the_last_order_back(
    run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait that lets a lost answer be settled is visible, with its reason."""
    http_project(sim, monkeypatch, settle="2")
    seed(run)
    write_campaign("c", distinct(3))
    sim.faults.queue("drop_after", action="add")
    result = run("apply", "--auto-approve", "--parallelism", "1", "campaigns/c.yaml")
    assert result.code == 0, result.out + result.err
    assert "Holding the last orders on demo" in result.err
    assert "c/o0: imported order" in result.out


@pytest.mark.parametrize("faults", [("drop_after", "drop_before"), ("drop_before", "drop_after")])
def test_two_look_alikes_lost_in_a_row_with_one_order_made_are_told_apart(
    run: Runner, project: Sim, store_clock: StoreClock, faults: tuple[str, str]
) -> None:
    """Both windows hold the one order, and a status answer names no link: the survey
    taken between the two sends (once the first surely ended) says which one made it."""
    lose(run, project, store_clock, identical(3), *faults)
    spec = records(run)["c/o1"]["spec"]
    made = truth(project).get("https://instagram.com/s0")
    assert (made in spec["survey"]["own"]) is (made is not None)
    result = run("reconcile", "--json")
    assert result.code == 0, result.out
    verdicts = {d["address"]: d["verdict"] for d in json.loads(result.out)["decisions"]}
    made_first = faults[0] == "drop_after"
    assert verdicts == (
        {"c/o0": "import", "c/o1": "absent"} if made_first else {"c/o0": "absent", "c/o1": "import"}
    )
    assert_no_wrong_import(project, run)
    applied = run("apply", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    assert {r["phase"] for r in records(run).values()} == {"placed"}
    assert_once_and_recorded(project, run)
    assert_no_wrong_import(project, run)


def test_without_a_survey_the_send_order_still_matches_and_nothing_is_guessed(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    """The panel does not answer the survey (its status calls fail): the next look-alike
    goes all the same; two orders made are matched in send order, and one order made
    by two lost look-alikes stays in doubt."""
    seed(run)
    write_campaign("c", identical(4))
    for fault in ("drop_after", "drop_after"):
        project.faults.queue(fault, action="add")
    project.faults.queue("server_error", action="status", count=40)
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile", "campaigns/c.yaml")
    project.faults.clear()
    assert "survey" not in records(run)["c/o1"]["spec"]
    store_clock.advance(1.0)
    found = json.loads(run("reconcile", "--json").out)
    verdicts = {d["address"]: d["verdict"] for d in found["decisions"]}
    assert verdicts == {"c/o0": "import", "c/o1": "import"}
    assert all("send order of 2 look-alikes" in d["reason"] for d in found["decisions"])
    assert_no_wrong_import(project, run)


def test_a_survey_that_went_unanswered_rules_nothing_out(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    """Ids the survey could not read may hold the lost order: one order made by two lost
    look-alikes is then not given to either."""
    lose(run, project, store_clock, identical(3), "drop_after", "drop_before")
    made = truth(project)["https://instagram.com/s0"]
    db = sqlite3.connect(".smm/state.db")
    (text,) = db.execute("SELECT spec FROM orders WHERE address = 'c/o1'").fetchone()
    spec = json.loads(text)
    spec["survey"]["own"].remove(made)
    spec["survey"]["unsure"].append(made)
    db.execute("UPDATE orders SET spec = ? WHERE address = 'c/o1'", (json.dumps(spec),))
    db.commit()
    db.close()
    found = json.loads(run("reconcile", "--json").out)
    assert {d["verdict"] for d in found["decisions"]} == {"undecided"}
    assert_no_wrong_import(project, run)


def test_a_look_alike_lost_in_an_earlier_apply_is_surveyed_before_the_next(
    run: Runner, project: Sim, store_clock: StoreClock
) -> None:
    """The lost one is the last of its apply (no bound); the next apply's first look-alike
    is lost too, and makes nothing: the survey before it tells whose the one order is."""
    lose(run, project, store_clock, identical(1), "drop_after")
    write_campaign("c", identical(3))
    project.faults.queue("drop_before", action="add")
    run("apply", "--auto-approve", "--parallelism", "1", "--no-reconcile", "campaigns/c.yaml")
    survey = records(run)["c/o1"]["spec"]["survey"]
    assert truth(project)["https://instagram.com/s0"] in survey["own"]
    store_clock.advance(1.0)
    result = run("reconcile", "--json")
    verdicts = {d["address"]: d["verdict"] for d in json.loads(result.out)["decisions"]}
    assert verdicts == {"c/o0": "import", "c/o1": "absent"}
    assert run("apply", "--auto-approve").code == 0
    assert_once_and_recorded(project, run)
    assert_no_wrong_import(project, run)
