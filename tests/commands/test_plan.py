"""`smm plan` end to end against the simulated panel, in-process and over HTTP."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from runner.panel import client as client_module
from runner.panel.http import RetryPolicy
from tests.conftest import (
    SECRET_KEY,
    Runner,
    Sim,
    copy_examples,
    followers,
    http_project,
    write_campaign,
    write_project,
)
from tests.hostile import HostilePanel

EXAMPLE_COSTS = {
    "demo-launch/followers": "0.27",
    "demo-launch/launch-comments": "0.0375",
    "demo-launch/likes-behind-the-scenes": "0.02469",
    "demo-launch/likes-launch-day": "0.02469",
    "demo-launch/poll-votes": "0.24",
    "example-comment-likes/like-my-comment": "0.0925",
    "example-comment-replies/replies": "0.0195",
    "example-custom-comments-package/comment-pack": "6.00",  # a package costs its rate
    "example-custom-comments/post-comments": "0.025",
    "example-default/tiktok-followers": "0.692876",
    "example-invites-from-groups/members": "0.74",
    "example-mentions-custom-list/mention-list": "0.0123",
    "example-mentions-hashtag/hashtag-users": "0.295",
    "example-mentions-media-likers/likers-of-post": "0.315",
    "example-mentions-user-followers/followers-of-rival": "0.305",
    "example-mentions-with-hashtags/mention-tags": "0.39",
    "example-mentions/mention-users": "0.32",
    "example-package/story-views": "2.75",
    "example-poll/vote-two": "0.096",
    "example-seo/shoes-keywords": "0.6",
    "example-subscriptions/auto-likes": "0.35",
    "example-web-traffic/search-visits": "0.08",
}


def test_plan_examples_in_process(run: Runner) -> None:
    copy_examples(Path.cwd())
    result = run("plan", "--json")
    assert result.code == 0, result.out + result.err
    doc = json.loads(result.out)
    costs = {a["address"]: a["cost"] for a in doc["actions"]}
    assert {k: Decimal(v) for k, v in costs.items()} == {
        k: Decimal(v) for k, v in EXAMPLE_COSTS.items()
    }
    assert all(a["action"] == "create" for a in doc["actions"])
    assert doc["total_cost"] == "13.680056"
    assert doc["panels"] == [
        {
            "panel": "demo",
            "balance": "250.00",
            "currency": "USD",
            "cost": "13.680056",
            "balance_after": "236.319944",
        }
    ]
    assert doc["state"]["lineage"] is None and doc["state"]["serial"] == 0
    assert doc["valid"] and doc["has_changes"]
    assert not Path(".smm/state.db").exists()  # plan never writes the state


def test_plan_text_over_http(run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    http_project(sim, monkeypatch)
    write_campaign(
        "launch",
        [
            *followers(2),
            "{id: d, service: 3, link: https://instagram.com/p/d, quantity: 77,"
            " drip_feed: {runs: 3, interval: 15}}",
        ],
    )
    result = run("--no-color", "plan")
    assert result.code == 0, result.out
    assert "+ create    launch/d" in result.out
    assert "      units        231 (77 x 3 runs, every 15 min)\n" in result.out
    assert "      cost         0.02852 USD\n" in result.out
    assert result.out.strip().endswith(
        "Plan: 3 to create, 0 to refill, 0 to cancel. Cost 0.20852 USD of 250.00 USD balance."
    )
    assert "\x1b[" not in result.out  # no colour off a terminal
    assert sim.endpoint.by_action == {"services": 1, "balance": 1}


def test_detailed_exitcode(run: Runner) -> None:
    write_campaign("c", followers(1))
    assert run("plan", "--detailed-exitcode").code == 2
    assert run("apply", "--auto-approve").code == 0
    assert run("plan", "--detailed-exitcode").code == 0
    assert run("plan", "--detailed-exitcode", "--bogus").code == 1  # usage errors never 2


def test_markdown_for_pull_requests(run: Runner) -> None:
    write_campaign("c", followers(1))
    result = run("plan", "--format", "markdown")
    assert result.code == 0
    assert result.out.startswith("### smm plan\n")
    row = "| `+` | create | `c/o0` | 1 Instagram Followers \\[Real, 30 days refill\\] |"
    assert row in result.out
    assert result.out.strip().endswith(
        "**Plan: 1 to create, 0 to refill, 0 to cancel. Cost 0.09 USD of 250.00 USD balance.**"
    )


def test_balance_and_budget_errors(run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    http_project(sim, monkeypatch)
    sim.panel.set_balance(Decimal("0.10"))
    path = write_campaign("c", followers(2), extra="budget: 0.15\n")
    result = run("plan")
    assert result.code == 1
    assert (
        f"{path}:3:9: error: campaign c: spend 0.18 USD (recorded 0.00 USD + planned 0.18 USD) is "
        "above its budget 0.15 USD"
    ) in result.out
    assert (
        f"{path}:5:5: error: panel demo: the plan costs 0.18 USD, above the balance of 0.10 USD"
    ) in result.out


def test_invalid_campaigns_exit_1_with_locations(run: Runner) -> None:
    path = write_campaign("c", ["{id: a, service: 1, link: https://x, quantity: 0}"])
    result = run("plan")
    assert result.code == 1
    assert f"{path}:4:52: orders[0].quantity: must be at least 1" in result.out


def test_missing_key_variable_is_a_plan_error(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    Path("smm.yaml").write_text(
        "panels:\n  gator:\n    url: https://gator.example/api/v2\n    key_env: GATOR_KEY\n"
    )
    monkeypatch.delenv("GATOR_KEY", raising=False)
    path = write_campaign("c", followers(1), panel="gator")
    result = run("plan")
    assert result.code == 1
    assert (
        f"{path}:4:5: error: panel gator: environment variable GATOR_KEY is not set" in result.out
    )


def test_saved_plan_records_state_lineage_and_serial(run: Runner) -> None:
    write_campaign("c", followers(1))
    assert run("apply", "--auto-approve").code == 0
    write_campaign("c", followers(2))
    assert run("plan", "-o", "plan.json").code == 0
    saved = json.loads(Path("plan.json").read_text())
    state = json.loads(run("state", "export").out)
    assert saved["state"] == {
        "lineage": state["lineage"],
        "serial": state["serial"],
        "campaigns": state["campaigns"],
    }
    assert saved["rates"] == {"demo": {"1": "0.90"}}
    assert [a["action"] for a in saved["actions"]] == ["no-op", "create"]


def test_services_are_cached_and_statuses_batched(
    run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_project(sim, monkeypatch)
    write_campaign("c", followers(250, quantity=50))
    assert run("apply", "--auto-approve", "--parallelism", "16").code == 0
    sim.endpoint.by_action.clear()
    assert run("plan").code == 0
    assert sim.endpoint.by_action == {"balance": 1, "status": 3}  # services from the cache
    sim.endpoint.by_action.clear()
    assert run("plan", "--no-refresh", "--refresh-services").code == 0
    assert sim.endpoint.by_action == {"balance": 1, "services": 1}


def test_unreachable_panel_is_one_error(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        client_module,
        "DEFAULT_RETRY",
        RetryPolicy(attempts=2, initial=0.001, max_wait=0.001),
    )
    Path("smm.yaml").write_text(
        "panels:\n  local:\n    url: http://127.0.0.1:9/api/v2\n    key_env: K\n"
    )
    monkeypatch.setenv("K", "x")
    write_campaign("c", followers(3), panel="local")
    result = run("plan")
    assert result.code == 1
    assert result.out.count("error: panel local: services: could not connect") == 1


def test_the_plan_shows_what_each_create_sends(run: Runner) -> None:
    """Briefly on a terminal, whole in Markdown, exactly in JSON; a subscription says why
    its units are what they are."""
    comments = ["First!", "[bold]not markup[/]", "a | b", "<b>x</b>", "fifth"]
    write_campaign(
        "c",
        [
            "{id: talk, service: 2, link: https://instagram.com/p/1, comments: "
            + json.dumps(comments)
            + "}",
            "{id: vote, service: 7, link: https://t.me/a/1, quantity: 100, answer_number: 3}",
            "{id: tags, service: 9, link: https://instagram.com/p/2, quantity: 100,"
            " usernames: [alice, bob], hashtags: ['#a']}",
            "{id: sub, service: 18, username: acme, min: 50, max: 100, posts: 10,"
            " old_posts: 2, delay: 30, expiry: 31/12/2099}",
        ],
    )
    text = run("--no-color", "plan")
    assert text.code == 0, text.out
    lines = text.out.splitlines()
    assert '      comments     5: "First!", "[bold]not markup[/]", "a | b", and 2 more' in lines
    assert "      poll answer  3" in lines
    assert '      usernames    2: "alice", "bob"' in lines
    assert '      hashtags     1: "#a"' in lines
    assert "      username     acme" in lines
    assert (
        "      subscription 50 to 100 per post, 10 new posts, 2 old posts, 30 min after each "
        "post, until 31/12/2099"
    ) in lines
    assert "      units        1200 at most: max 100 x (10 posts + 2 old posts)" in lines

    markdown = run("plan", "--format", "markdown").out
    assert (
        "- `c/talk`: comments 5: &quot;First!&quot;, &quot;\\[bold\\]not markup\\[/\\]&quot;, "
        "&quot;a \\| b&quot;, &quot;&lt;b&gt;x&lt;/b&gt;&quot;, &quot;fifth&quot;"
    ) in markdown
    assert "- `c/vote`: poll answer 3" in markdown

    actions = {a["address"]: a for a in json.loads(run("plan", "--json").out)["actions"]}
    assert actions["c/talk"]["sends"] == {"link": "https://instagram.com/p/1", "comments": comments}
    assert actions["c/sub"]["sends"] == {
        "username": "acme",
        "min": 50,
        "max": 100,
        "posts": 10,
        "old_posts": 2,
        "delay": 30,
        "expiry": "31/12/2099",
    }
    assert actions["c/vote"]["sends"]["answer_number"] == 3


def test_a_conflict_shows_what_changed_and_the_ways_out(run: Runner) -> None:
    path = write_campaign("c", followers(1))
    assert run("apply", "--auto-approve").code == 0
    path.write_text(path.read_text().replace("quantity: 100", "quantity: 200"))
    text = run("--no-color", "plan")
    assert text.code == 1
    lines = text.out.splitlines()
    at = lines.index(next(line for line in lines if line.startswith("  ! conflict  c/o0")))
    assert lines[at + 1 : at + 3] == [
        "      quantity     100 -> 200",
        "      ways out     revert the file to what was placed, or give the order a new id (a "
        "new order is placed; the old one stays as it is)",
    ]
    assert "(quantity changed)" in text.out
    doc = json.loads(run("plan", "--json").out)
    (action,) = doc["actions"]
    assert action["changes"] == [{"field": "quantity", "old": 100, "new": 200}]
    markdown = run("plan", "--format", "markdown").out
    assert "- `c/o0`: quantity: 100 → 200" in markdown and "Ways out: revert the file" in markdown


def test_plan_never_passes_while_an_order_is_in_doubt(
    hostile: HostilePanel, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An add whose answer was lost (a 502 once the request may have left) leaves an
    order that may or may not exist; while the panel gives no evidence, every form of
    `smm plan` exits 1 (never 0, never 2: a pipeline must not pass over it), names the
    command that settles it, and saves no plan."""
    monkeypatch.setenv("HP_KEY", SECRET_KEY)
    write_project(Path.cwd(), {"hp": {"url": hostile.url, "key_env": "HP_KEY"}})
    services = [
        {"service": 1, "name": "F", "type": "Default", "rate": "0.90", "min": 10, "max": 1000}
    ]
    hostile.reply(services, action="services")
    hostile.reply({"balance": "100", "currency": "USD"}, action="balance")
    hostile.reply(body="<html>Bad gateway</html>", status=502, action="add")
    hostile.reply(body="<html>Bad gateway</html>", status=502, action="status")
    write_campaign("c", [followers(1)[0]], panel="hp")
    applied = run("apply", "--auto-approve")
    assert applied.code == 1
    phases = {o["address"]: o["phase"] for o in json.loads(run("state", "export").out)["orders"]}
    assert phases == {"c/o0": "in_doubt"}
    for extra in ([], ["--detailed-exitcode"], ["--json"], ["--no-refresh"], ["-o", "p.json"]):
        result = run("plan", *extra)
        assert result.code == 1, (extra, result.out, result.err)
        assert "smm state retry c/o0" in result.err, extra
    assert not Path("p.json").exists()
    assert hostile.actions().count("add") == 1
