"""Lists and repeats over time, through the CLI against the simulator over HTTP: adding an
item orders it once, removing one leaves an orphan note, reordering changes nothing,
editing a placed item is a conflict naming it; a repeat orders each period once."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

from runner.state import model
from tests.conftest import Runner, Sim, http_project

CAMPAIGN = (
    "campaign: boost\npanel: demo\ndefaults:\n  service: 1\n  quantity: 100\norders:\n"
    "  - id: likes-{key}\n    for_each: posts.csv\n    link: '{link}'\n    quantity: '{quantity}'\n"
)


def posts(*rows: str) -> None:
    Path("campaigns").mkdir(exist_ok=True)
    Path("campaigns/posts.csv").write_text("link,quantity\n" + "".join(r + "\n" for r in rows))
    Path("campaigns/boost.yaml").write_text(CAMPAIGN)


def plan(run: Runner) -> dict[str, dict[str, object]]:
    result = run("plan", "--json")
    assert "Traceback" not in result.err
    doc = json.loads(result.out)
    return {a["address"]: a for a in doc["actions"]} | {"": {"checks": doc["checks"]}}


def kinds(actions: dict[str, dict[str, object]]) -> dict[str, object]:
    return {k: v["action"] for k, v in actions.items() if k}


def test_items_added_removed_reordered_edited(
    run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_project(sim, monkeypatch)
    posts("https://instagram.com/p/a,100", "https://instagram.com/p/b,200")
    assert run("apply", "--auto-approve").code == 0
    assert len(sim.orders()) == 2

    # Reordered: nothing to do.
    posts("https://instagram.com/p/b,200", "https://instagram.com/p/a,100")
    assert set(kinds(plan(run)).values()) == {"no-op"}

    # One item added: exactly one create.
    posts(
        "https://instagram.com/p/b,200",
        "https://instagram.com/p/c,300",
        "https://instagram.com/p/a,100",
    )
    got = kinds(plan(run))
    assert [k for k, v in got.items() if v == "create"] == ["boost/likes-https-instagram-com-p-c"]
    assert run("apply", "--auto-approve").code == 0
    assert len(sim.orders()) == 3

    # One removed: an orphan note, never a cancel.
    posts("https://instagram.com/p/b,200", "https://instagram.com/p/c,300")
    actions = plan(run)
    assert kinds(actions)["boost/likes-https-instagram-com-p-a"] == "orphan"
    assert "cancel" not in kinds(actions).values()
    result = run("apply", "--auto-approve")
    assert result.code == 0 and len(sim.orders()) == 3

    # A placed item edited: a conflict naming the item, at its line.
    posts("https://instagram.com/p/b,250", "https://instagram.com/p/c,300")
    result = run("plan")
    assert result.code == 1
    assert (
        "campaigns/posts.csv:2:1: error: boost/likes-https-instagram-com-p-b: order " in result.out
    )
    assert "quantity changed" in result.out


def test_repeat_orders_each_period_once_without_backfill(
    run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_project(sim, monkeypatch)
    Path("campaigns").mkdir()
    Path("campaigns/weekly.yaml").write_text(
        "campaign: weekly\npanel: demo\norders:\n"
        "  - id: followers\n    service: 1\n    link: https://instagram.com/acme\n"
        "    quantity: 100\n"
        "    repeat: {every: 7d, start: 2027-01-04T09:00:00Z, until: 2027-02-01}\n"
    )
    now = [_dt.datetime(2027, 1, 3, tzinfo=_dt.UTC)]
    monkeypatch.setattr(model, "wall", lambda: now[0].timestamp())

    actions = plan(run)
    assert kinds(actions) == {"weekly/followers@2027-01-04T09:00:00Z": "wait"}
    assert "next instance due 2027-01-04T09:00:00Z" in str(
        actions["weekly/followers@2027-01-04T09:00:00Z"]["reason"]
    )

    now[0] = _dt.datetime(2027, 1, 4, 9, 0, tzinfo=_dt.UTC)  # due
    assert run("apply", "--auto-approve").code == 0
    assert len(sim.orders()) == 1
    now[0] += _dt.timedelta(days=2)  # the same period: nothing again
    got = kinds(plan(run))
    assert got == {
        "weekly/followers@2027-01-04T09:00:00Z": "no-op",
        "weekly/followers@2027-01-11T09:00:00Z": "wait",
    }

    # Edited in the period: the placed instance is not a conflict, the next one is as edited.
    text = Path("campaigns/weekly.yaml").read_text()
    Path("campaigns/weekly.yaml").write_text(text.replace("quantity: 100", "quantity: 300"))
    result = run("plan")
    assert result.code == 0, result.out
    assert kinds(plan(run)) == {"weekly/followers@2027-01-11T09:00:00Z": "wait"}

    # Two weeks missed: only the current period is ordered, the old one stays known.
    now[0] = _dt.datetime(2027, 1, 26, tzinfo=_dt.UTC)
    actions = plan(run)
    assert kinds(actions) == {"weekly/followers@2027-01-25T09:00:00Z": "create"}
    assert actions["weekly/followers@2027-01-25T09:00:00Z"]["units"] == 300
    # Past `until`: nothing due, nothing next, no orphan.
    now[0] = _dt.datetime(2027, 3, 1, tzinfo=_dt.UTC)
    assert kinds(plan(run)) == {}


def test_repeat_catch_up_and_cron(run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    http_project(sim, monkeypatch)
    Path("campaigns").mkdir()
    Path("campaigns/weekly.yaml").write_text(
        "campaign: weekly\npanel: demo\norders:\n"
        "  - id: daily\n    service: 1\n    link: https://instagram.com/acme\n    quantity: 100\n"
        "    repeat: {every: 1d, start: 2027-01-01, catch_up: true}\n"
        "  - id: monday\n    service: 1\n    link: https://instagram.com/b\n    quantity: 100\n"
        '    repeat: {cron: "0 9 * * 1"}\n'
    )
    now = [_dt.datetime(2027, 1, 3, 12, tzinfo=_dt.UTC)]  # a Sunday
    monkeypatch.setattr(model, "wall", lambda: now[0].timestamp())
    got = kinds(plan(run))
    assert got == {
        "weekly/daily@2027-01-01T00:00:00Z": "create",
        "weekly/daily@2027-01-02T00:00:00Z": "create",
        "weekly/daily@2027-01-03T00:00:00Z": "create",
        "weekly/daily@2027-01-04T00:00:00Z": "wait",
        "weekly/monday@2026-12-28T09:00:00Z": "create",
        "weekly/monday@2027-01-04T09:00:00Z": "wait",
    }


def test_bad_repeat_is_a_file_error(run: Runner) -> None:
    Path("smm.yaml").write_text("panels:\n  demo:\n    url: sim://demo\n")
    Path("campaigns").mkdir()
    Path("campaigns/r.yaml").write_text(
        "campaign: r\npanel: demo\norders:\n"
        "  - {id: a, service: 1, link: https://x.com/a, quantity: 100, repeat: {every: 7x}}\n"
        "  - {id: b, service: 1, link: https://x.com/b, quantity: 100,"
        ' repeat: {cron: "61 * * * *"}}\n'
        "  - {id: c, service: 1, link: https://x.com/c, quantity: 100, repeat: {catch_up: true}}\n"
        "  - {id: d, service: 1, link: https://x.com/d, quantity: 100,"
        " repeat: {every: 1d, start: 2027-01-02, until: 2027-01-01}}\n"
    )
    result = run("validate")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("campaigns/r.yaml:4:") and "like 30m, 12h, 7d or 2w" in lines[0]
    assert lines[1].startswith("campaigns/r.yaml:5:") and "is not a cron expression" in lines[1]
    assert lines[2].startswith("campaigns/r.yaml:6:") and "either every" in lines[2]
    assert lines[3].startswith("campaigns/r.yaml:7:") and "is not after the start" in lines[3]


def test_plan_expand_shows_every_order_as_checked(
    run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_project(sim, monkeypatch)
    posts("https://instagram.com/p/a,", "https://instagram.com/p/b,200")
    Path("campaigns/posts.csv").write_text(
        "link,quantity\nhttps://instagram.com/p/a,150\nhttps://instagram.com/p/b,200\n"
    )
    assert run("apply", "--auto-approve").code == 0
    plain = run("plan")
    assert "2 orders unchanged." in plain.out and "posts.csv" not in plain.out
    expanded = run("plan", "--expand").out
    assert "no-op     boost/likes-https-instagram-com-p-a order" in expanded
    assert "written at   campaigns/posts.csv:2:1" in expanded
    assert "quantity     150" in expanded
    doc = json.loads(run("plan", "--expand", "--json").out)
    specs = {a["address"]: a["spec"]["params"] for a in doc["actions"]}
    assert specs["boost/likes-https-instagram-com-p-b"] == {
        "link": "https://instagram.com/p/b",
        "quantity": 200,
    }
    # Without --expand, JSON carries the fields of creates only (a large plan stays small).
    doc = json.loads(run("plan", "--json").out)
    assert all(a["spec"] is None for a in doc["actions"])
