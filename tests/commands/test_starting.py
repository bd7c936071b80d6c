"""A new user's first steps: smm init in an empty folder, smm plan where there is no
project (it says so), smm show of a saved plan (offline), and a plan with errors that says
each error once and that nothing will be applied.  As typed, in processes of their own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Sim, followers, http_project, typed, write_campaign


def test_init_then_the_whole_story(tmp_path: Path) -> None:
    result = typed("init")
    assert result.code == 0, result.err
    assert result.out.startswith("Wrote smm.yaml\nWrote campaigns/first.yaml\n")
    assert "Next: smm plan" in result.out
    assert typed("validate").out == "Valid: 1 campaign, 2 orders in 1 file.\n"
    plan = typed("plan")
    assert plan.code == 0 and plan.err == "", plan.err
    assert "Plan: 2 to create, 0 to refill, 0 to cancel." in plan.out
    assert typed("apply", "--auto-approve").code == 0
    assert "first-campaign/likes" in typed("status").out


def test_init_never_overwrites(tmp_path: Path) -> None:
    Path("smm.yaml").write_text("panels: {}\n")
    refused = typed("init")
    assert refused.code == 1 and "smm.yaml already exists" in refused.err
    assert Path("smm.yaml").read_text() == "panels: {}\n" and not Path("campaigns").exists()
    Path("smm.yaml").unlink()
    Path("campaigns").mkdir()
    Path("campaigns/mine.yaml").write_text("campaign: mine\n")
    assert typed("init").code == 1 and not Path("smm.yaml").exists()
    Path("sub").mkdir()
    Path("campaigns/mine.yaml").unlink()
    assert typed("init").code == 0
    inside = typed("init", "sub")  # already inside the project just made
    assert inside.code == 1 and "already makes this folder part of a project" in inside.err


def test_init_another_folder(tmp_path: Path) -> None:
    result = typed("init", "new-project")
    assert result.code == 0 and "Next: cd new-project, smm plan" in result.out
    assert Path("new-project/smm.yaml").is_file()
    assert Path("new-project/campaigns/first.yaml").is_file()


def test_plan_without_a_project_says_so() -> None:
    result = typed("plan")
    assert result.code == 1
    assert "no smm.yaml in" in result.err and "start a project here with smm init" in result.err
    assert "Traceback" not in result.err
    write_campaign("c", followers(1))  # campaigns, but no smm.yaml: the built-in project
    noted = typed("plan")
    assert noted.code == 0
    assert "note: no smm.yaml here or in a parent folder" in noted.err
    assert "smm init writes a project file" in noted.err


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


def test_show_a_saved_plan_offline(project: Sim) -> None:
    write_campaign("c", followers(2))
    assert typed("plan", "-o", "plan.json").code == 0
    calls = dict(project.endpoint.by_action)
    shown = typed("show", "plan.json", env={"PATH": "/usr/bin:/bin"})  # no key, no panel
    assert shown.code == 0, shown.err
    assert shown.out.startswith("Saved plan plan.json, made ")
    assert "+ create    c/o0" in shown.out and "+ create    c/o1" in shown.out
    assert "Plan: 2 to create, 0 to refill, 0 to cancel." in shown.out
    assert json.loads(typed("show", "plan.json", "--json").out) == json.loads(
        Path("plan.json").read_text()
    )
    assert typed("show", "plan.json", "--format", "markdown").out.startswith("### smm plan")
    assert project.endpoint.by_action == calls  # nothing was asked of the panel
    edited = Path("plan.json").read_text().replace('"quantity": 100', '"quantity": 900')
    Path("edited.json").write_text(edited)
    refused = typed("show", "edited.json")
    assert refused.code == 1 and "checksum does not match" in refused.err
    assert typed("show", "missing.json").code == 1
    Path("garbage.json").write_text("{not json")
    assert typed("show", "garbage.json").code == 1


def test_a_plan_with_errors_says_each_once(project: Sim) -> None:
    write_campaign(
        "c",
        [
            "{id: small, service: 1, link: https://instagram.com/a, quantity: 5}",
            "{id: ghost, service: 999, link: https://instagram.com/b, quantity: 100}",
            *followers(1),
        ],
    )
    result = typed("plan")
    assert result.code == 1
    for message in (
        "quantity 5 is outside service 1's limits 50..10000",
        "service 999 is not in demo's catalog",
    ):
        assert result.out.count(message) == 1, result.out
    where = r"campaigns/c.yaml:\d+:\d+: error: c/small: quantity 5"
    assert re.search(where, result.out), result.out
    assert result.out.rstrip().endswith("Plan: 2 errors; nothing will be applied.")
    assert "to create" not in result.out.splitlines()[-1]
    markdown = typed("plan", "--format", "markdown").out
    assert markdown.count("quantity 5 is outside") == 1
    assert "**Plan: 2 errors; nothing will be applied.**" in markdown
