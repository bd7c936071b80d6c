"""Review: a saved plan is executed from its own `spec`, which check_same never compares
with what planning again gives (only address, kind, fingerprint, service, units, cost,
currency, order_id)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runner.plans.plan import checksum
from tests.conftest import Runner, Sim, followers, http_project, write_campaign


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


def forge(edit: Any) -> None:
    data: dict[str, Any] = json.loads(Path("plan.json").read_text())
    edit(data["actions"][0])
    data["checksum"] = checksum(data)
    Path("plan.json").write_text(json.dumps(data))


def test_a_forged_spec_quantity_is_refused(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    assert run("plan", "-o", "plan.json").code == 0

    def edit(action: dict[str, Any]) -> None:
        action["spec"]["params"]["quantity"] = 10_000

    forge(edit)
    result = run("apply", "plan.json")
    orders = project.orders()
    assert result.code == 1 or [o["units"] for o in orders] == [100], (result.out, orders)


def test_a_forged_spec_link_is_refused(run: Runner, project: Sim) -> None:
    write_campaign("c", followers(1))
    assert run("plan", "-o", "plan.json").code == 0

    def edit(action: dict[str, Any]) -> None:
        action["spec"]["params"]["link"] = "https://instagram.com/attacker"

    forge(edit)
    result = run("apply", "plan.json")
    orders = project.orders()
    assert result.code == 1 or [o["link"] for o in orders] == ["https://instagram.com/u0"], (
        result.out,
        orders,
    )


def test_a_forged_panel_is_refused(run: Runner, project: Sim) -> None:
    """Two panels in smm.yaml, the plan uses one; the forged plan names the other."""
    Path("smm.yaml").write_text(Path("smm.yaml").read_text() + '  other:\n    url: "sim://other"\n')
    write_campaign("c", followers(1))
    assert run("plan", "-o", "plan.json").code == 0

    def edit(action: dict[str, Any]) -> None:
        action["panel"] = "other"

    forge(edit)
    result = run("apply", "plan.json")
    assert result.code == 1, (result.code, result.err)
