"""A saved plan is applied exactly as it was produced, or refused: edited files, forged
checksums, another state, new rates, changed campaign files, malformed JSON."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runner.plans.plan import checksum
from tests.conftest import Runner, Sim, followers, http_project, write_campaign


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


def saved(path: str = "plan.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


def save(data: dict[str, Any], path: str = "plan.json", sign: bool = False) -> None:
    if sign:
        data["checksum"] = checksum(data)
    Path(path).write_text(json.dumps(data))


def refused(run: Runner, project: Sim, *phrases: str) -> None:
    result = run("apply", "plan.json")
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err and result.err.startswith("Error: ")
    for phrase in phrases:
        assert phrase in result.err, result.err
    assert project.orders() == []


def test_a_hand_edited_plan_is_refused(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    assert run("plan", "-o", "plan.json").code == 0
    data = saved()
    data["actions"][0]["units"] = 100_000  # a quantity raised, the cost left alone
    save(data)
    refused(run, project, "checksum does not match")


def test_a_forged_plan_with_a_new_checksum_is_refused(run: Runner, project: Sim) -> None:
    """Whoever knows how the checksum is made can sign an edit; planning again can't be
    fooled: the actions must be what the files and the state produce now."""
    write_campaign("c", followers(1))
    assert run("plan", "-o", "plan.json").code == 0
    data = saved()
    data["actions"][0]["units"] = 100_000
    data["actions"][0]["cost"] = "0.01"
    save(data, sign=True)
    refused(run, project, "no longer matches")


def test_a_plan_belongs_to_its_state(run: Runner, project: Sim, tmp_path: Path) -> None:
    """Saved before the first apply, in a project whose state did not exist yet: the plan
    is still bound to that state (plan -o starts one), never to another project's."""
    write_campaign("c", followers(1))
    assert not Path(".smm/state.db").exists()
    made = run("plan", "-o", "plan.json")
    assert made.code == 0 and Path(".smm/state.db").exists()
    assert saved()["state"]["lineage"]
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree("campaigns", other / "campaigns")
    shutil.copy("smm.yaml", other / "smm.yaml")
    shutil.copy("plan.json", other / "plan.json")
    result = run("--config", str(other / "smm.yaml"), "apply", str(other / "plan.json"))
    assert result.code == 1 and "another state" in result.err
    assert project.orders() == []


def test_a_rate_rise_after_planning_makes_the_plan_stale(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    assert run("plan", "-o", "plan.json").code == 0
    rate = project.panel.services.now()[1].rate
    project.panel.services.change(1, rate=rate * 3)
    refused(run, project, "now costs", "run smm plan again")


def test_apply_never_uses_a_cached_rate(run: Runner, project: Sim) -> None:
    """The services cache may be an hour old; apply asks for the rates in force."""
    write_campaign("c", followers(1))
    assert run("plan").code == 0  # fills the cache
    calls = project.endpoint.by_action.get("services", 0)
    assert run("apply", "--auto-approve").code == 0
    assert project.endpoint.by_action["services"] == calls + 1


def test_changed_campaign_files_make_the_plan_stale(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(2))
    assert run("plan", "-o", "plan.json").code == 0
    write_campaign("c", followers(3))
    refused(run, project, "no longer matches")


def test_only_the_campaigns_a_plan_covers_make_it_stale(run: Runner, project: Sim) -> None:
    write_campaign("a", followers(1))
    write_campaign("b", followers(1, start=5))
    assert run("plan", "campaigns/a.yaml", "-o", "plan.json").code == 0
    assert run("apply", "--auto-approve", "campaigns/b.yaml").code == 0  # b moved on
    result = run("apply", "plan.json")
    assert result.code == 0, result.err
    assert len(project.orders()) == 2


JUNK = {
    "not json": b"{",
    "a list": b"[]",
    "a number": b"1e999999",
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "binary": bytes(range(256)),
    "old format": b'{"format_version": 1, "actions": []}',
}


@pytest.mark.parametrize("kind", sorted(JUNK))
def test_malformed_plan_files_are_one_line(run: Runner, project: Sim, kind: str) -> None:
    write_campaign("c", followers(1))
    Path("plan.json").write_bytes(JUNK[kind])
    refused(run, project, "plan.json")
    assert not Path(".smm/crash.log").exists()


def test_a_signed_plan_with_values_of_the_wrong_kind_is_one_line(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    assert run("plan", "-o", "plan.json").code == 0
    mangles: list[Callable[[dict[str, Any]], object]] = [
        lambda d: d["state"].update(campaigns=["x"]),
        lambda d: d["actions"][0].update(action="explode"),
        lambda d: d["actions"][0].update(cost="abc"),
        lambda d: d.update(rates=[1]),
        lambda d: d["actions"][0].update(location={"line": "x"}),
    ]
    for mangle in mangles:
        data = saved()
        mangle(data)
        save(data, "bad.json", sign=True)
        result = run("apply", "bad.json")
        assert result.code == 1 and "Traceback" not in result.err, result.err
        assert "bad.json" in result.err
    assert project.orders() == []
    assert not Path(".smm/crash.log").exists()
