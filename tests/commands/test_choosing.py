"""Services by what they are, end to end: the CLI against two simulated panels over HTTP
(``demo``: the standard catalog in USD; ``cheap``: the alt catalog in EUR).

Selectors choose the cheapest fitting service across panels; placed orders never move;
a definite refusal fails over to the next candidate, a lost answer never does; safety
limits and ``--target`` bound a plan; bad input is one line at its place, exit 1, and
nothing is ordered."""

from __future__ import annotations

import html
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from runner.sim.engine import SimPanel
from runner.sim.faults import FaultPlan
from runner.sim.server import BackgroundServer
from runner.sim.wire import SimEndpoint
from tests.conftest import SECRET_KEY, Runner, Sim, write_project
from tests.hostile import HostilePanel

LINK = "https://instagram.com/p/launch"
SELECTOR = "{match: instagram likes, panels: [demo, cheap]}"


@pytest.fixture
def alt() -> Iterator[Sim]:
    """A second panel over HTTP: other ids, names and rates, in euros."""
    panel = SimPanel(":memory:", speed=60.0, seed=11, catalog="alt")
    endpoint = SimEndpoint(panel, FaultPlan(seed=11))
    with BackgroundServer(endpoint) as server:
        yield Sim(panel, endpoint, server.url)
    panel.close()


@pytest.fixture
def two(sim: Sim, alt: Sim, monkeypatch: pytest.MonkeyPatch) -> tuple[Sim, Sim]:
    project(sim, alt, "currency: USD\nexchange: {EUR: 1.08}\n")
    monkeypatch.setenv("SIM_KEY", SECRET_KEY)
    return sim, alt


def project(sim: Sim, alt: Sim, extra: str = "") -> None:
    fields = {"key_env": "SIM_KEY", "settle_seconds": "0.3"}
    path = write_project(
        Path.cwd(), {"demo": {"url": sim.url, **fields}, "cheap": {"url": alt.url, **fields}}
    )
    path.write_text(path.read_text() + extra)


def campaign(orders: list[str], head: str = "", name: str = "launch") -> Path:
    folder = Path("campaigns")
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(f"campaign: {name}\n{head}orders:\n" + "".join(f"  - {o}\n" for o in orders))
    return path


def likes(ident: str = "likes", service: str = SELECTOR, link: str = LINK, q: int = 500) -> str:
    return f"{{id: {ident}, service: {service}, link: {link}, quantity: {q}}}"


def plan_json(run: Runner, *args: str) -> dict[str, object]:
    result = run("plan", "--format", "json", *args)
    data: dict[str, object] = json.loads(result.out)
    return data


def create(data: dict[str, object], address: str) -> dict[str, object]:
    actions = data["actions"]
    assert isinstance(actions, list)
    found: dict[str, object] = next(a for a in actions if a["address"] == address)
    return found


# --- choosing ---------------------------------------------------------------------------


def test_the_cheapest_fitting_service_across_panels_is_chosen(
    run: Runner, two: tuple[Sim, Sim]
) -> None:
    campaign([likes()])  # no campaign panel: the selector names its panels
    result = run("plan")
    assert result.code == 0, result.out + result.err
    # alt 102 at 0.09 EUR (0.0972 USD) beats alt 101 (0.11 EUR) and demo 3 (0.12345 USD).
    assert "panel        cheap, service 102 Instagram Likes | Cheap | no refill" in result.out
    assert "chosen       the cheapest of 3 that fit: 0.045 EUR = 0.0486 USD" in result.out
    assert "runner-up    101 Instagram Likes | Real | 30 days refill on cheap" in result.out
    assert "(+0.0108 USD)" in result.out
    assert "left out     2 other matches (-v or --format json: why)" in result.out
    verbose = run("-v", "plan")
    assert "left out     6 Instagram Comment Likes on demo: service 6 is a Comment Likes" in (
        verbose.out
    )
    assert "18 Instagram Auto Likes [Subscription] on demo" in verbose.out
    markdown = run("plan", "--format", "markdown").out
    assert (
        "- `launch/likes`: 102 Instagram Likes \\| Cheap \\| no refill on cheap, 0.045 EUR = "
        "0.0486 USD; runner-up 101 Instagram Likes \\| Real \\| 30 days refill on cheap "
        "(+0.0108 USD)" in markdown
    ), markdown
    selection = create(plan_json(run), "launch/likes")["selection"]
    assert isinstance(selection, dict)
    assert selection["chosen"]["service"] == 102 and selection["chosen"]["compared"] == "0.04860"
    assert selection["runner_up"]["service"] == 101
    assert [c["service"] for c in selection["fitting"]] == [102, 101, 3]
    reasons = {c["service"]: c["left_out"] for c in selection["left_out"]}
    assert set(reasons) == {6, 18} and all(reasons.values())


def test_selector_conditions_narrow_the_choice(run: Runner, two: tuple[Sim, Sim]) -> None:
    refill = "{match: instagram likes, refill: true, panels: [demo, cheap]}"
    campaign([likes(service=refill)])
    chosen = create(plan_json(run), "launch/likes")
    assert (chosen["panel"], chosen["service"]) == ("cheap", 101)
    capped = "{match: likes, max_rate: 0.1, panels: [demo, cheap]}"  # USD
    campaign([likes(service=capped)])
    data = plan_json(run)
    chosen = create(data, "launch/likes")
    assert (chosen["panel"], chosen["service"]) == ("cheap", 102)  # 0.0972 USD <= 0.1
    selection = chosen["selection"]
    assert isinstance(selection, dict)
    reasons = {c["service"]: c["left_out"] for c in selection["left_out"]}
    assert reasons[101] == "rate 0.1188 USD is above max_rate 0.10"
    assert reasons[3] == "rate 0.12345 USD is above max_rate 0.10"
    campaign([likes(service="{match: instagram likes}")], "panel: demo\n")  # its panel only
    chosen = create(plan_json(run), "launch/likes")
    assert (chosen["panel"], chosen["service"]) == ("demo", 3)
    small = likes(service="{match: instagram likes, panels: [demo, cheap]}", q=20)
    campaign([small])  # below alt 102's min of 50: alt 101 (min 20) is the cheapest left
    assert create(plan_json(run), "launch/likes")["service"] == 101


@pytest.mark.parametrize(
    ("service", "said"),
    [
        ("{match: spotify plays}", "no service on demo, cheap has all the words of match"),
        ("{match: instagram likes, type: Package}", "none of type Package"),
        ("{match: instagram likes, dripfeed: true, refill: true}", "none with refill: true"),
        ("{match: likes, max_rate: 0.05}", "none at or below max_rate 0.05 (cheapest: 102 on"),
    ],
)
def test_no_candidate_is_an_error_naming_the_condition(
    run: Runner, two: tuple[Sim, Sim], service: str, said: str
) -> None:
    service = service.replace("}", ", panels: [demo, cheap]}")
    path = campaign([likes(service=service)])
    result = run("apply", "--auto-approve")
    assert result.code == 1
    line = next(x for x in result.out.splitlines() if " error: " in x)
    assert line.startswith(f"{path}:3:17: error: launch/likes: "), line  # at service:
    assert said in line, line
    assert two[0].orders() == [] and two[1].orders() == []


def test_candidates_in_two_currencies_need_an_exchange_rate(
    run: Runner, sim: Sim, alt: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(sim, alt)
    monkeypatch.setenv("SIM_KEY", SECRET_KEY)
    campaign([likes()])
    result = run("apply", "--auto-approve")
    assert result.code == 1
    assert (
        "launch/likes: the candidates are priced in EUR and USD: set currency: and exchange: "
        "in smm.yaml to compare them" in result.out
    )
    assert sim.orders() == [] and alt.orders() == []


def test_a_campaign_whose_orders_name_no_panel_is_refused_at_the_order(
    run: Runner, two: tuple[Sim, Sim]
) -> None:
    path = campaign([likes(service="{match: instagram likes}")])
    result = run("validate")
    assert result.code == 1
    assert f"{path}:3:5: orders[0]: no panel: set 'panel' on the campaign or the order" in (
        result.out
    )


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "where", "said"),
    [
        ("{match: likes, max_rate: -1, panels: [demo]}", "3:51", "max_rate: must be at least 0"),
        ("{match: likes, max_rate: lots, panels: [demo]}", "3:51", "max_rate: must be a number"),
        ("{match: likes, panels: [demo, nope]}", "3:56", "panels[1]: unknown panel 'nope'"),
        ("{match: likes, type: Likes, panels: [demo]}", "3:47", "unknown service type 'Likes'"),
        ("{match: '  ', panels: [demo]}", "3:34", "match: must be words of the service's name"),
    ],
)
def test_a_bad_selector_is_one_line_at_its_place(
    run: Runner, two: tuple[Sim, Sim], service: str, where: str, said: str
) -> None:
    path = campaign([likes(service=service)])
    result = run("validate")
    assert result.code == 1 and f"{path}:{where}: orders[0].service." in result.out, result.out
    assert said in result.out and len(result.out.splitlines()) == 2  # the error, the count
    for command in (("plan",), ("apply", "--auto-approve")):
        result = run(*command)
        assert result.code == 1, result.out + result.err
        text = result.out + result.err
        assert "Traceback" not in text
        # (A panel name is checked against smm.yaml by the plan, at the order's service.)
        assert f"{path}:3:" in text and said.split(": ", 1)[-1] in text, text
    assert two[0].orders() == [] and two[1].orders() == []


def test_an_exchange_rate_of_zero_is_refused_in_smm_yaml(
    run: Runner, sim: Sim, alt: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(sim, alt, "currency: USD\nexchange: {EUR: 0}\n")
    monkeypatch.setenv("SIM_KEY", SECRET_KEY)
    campaign([likes()])
    result = run("apply", "--auto-approve")
    assert result.code == 1
    assert result.err.startswith("Error: smm.yaml:"), result.err
    assert "must be greater than 0" in result.err and len(result.err.splitlines()) == 1
    assert sim.orders() == [] and alt.orders() == []


# --- placed orders never move, failover ----------------------------------------------------


def test_a_placed_order_keeps_its_panel_and_service(run: Runner, two: tuple[Sim, Sim]) -> None:
    sim, alt = two
    campaign([likes()])
    assert run("apply", "--auto-approve").code == 0
    assert [o["service"] for o in alt.orders()] == [102]
    sim.panel.services.change(3, rate=Decimal("0.001"))  # demo is now far cheaper
    result = run("plan", "--refresh-services")
    assert result.code == 0 and "Plan: 0 to create" in result.out, result.out
    shown = json.loads(run("state", "show", "launch/likes", "--json").out)
    assert shown["panel"] == "cheap" and shown["spec"]["service"] == 102
    assert shown["spec"]["selector"] == {"match": "instagram likes", "panels": ["demo", "cheap"]}
    # Editing the selector does not move it either; editing the order's fields conflicts.
    campaign([likes(service="{match: likes, panels: [demo]}")])
    assert "Plan: 0 to create" in run("plan").out
    # Named by the number it was placed with, it is the same order; by another, a conflict.
    campaign([likes(service="102")], "panel: cheap\n")
    assert "Plan: 0 to create" in run("plan").out
    campaign([likes(service="101")], "panel: cheap\n")
    result = run("plan")
    assert result.code == 1 and "(service changed)" in result.out, result.out
    campaign([likes(q=600)])
    result = run("plan")
    assert result.code == 1 and "quantity changed" in result.out


def test_a_refused_create_fails_over_to_the_next_candidate(
    run: Runner, two: tuple[Sim, Sim]
) -> None:
    sim, alt = two
    # An active order on the same link makes alt refuse 102 for it.
    campaign([likes("first", service="102", q=5000)], "panel: cheap\n", name="first")
    assert run("apply", "--auto-approve", "--target", "first").code == 0
    campaign([likes()])
    result = run("apply", "--auto-approve", "--target", "launch")
    assert result.code == 0, result.out + result.err
    assert "launch/likes: rejected: You have active order with this link" in result.out
    assert (
        "launch/likes: placed, order" in result.out
        and "moved from service 102 on cheap (You have active order with this link. Please "
        "wait until order being completed.) to service 101 on cheap: 0.0108 USD more than "
        "planned"
        in result.out
    ), result.out
    assert [o["service"] for o in alt.orders()] == [102, 101] and sim.orders() == []
    shown = json.loads(run("state", "show", "launch/likes", "--json").out)
    assert shown["phase"] == "placed" and shown["spec"]["service"] == 101
    assert shown["spec"]["moved_from"]["service"] == 102
    moves = [e for e in shown["events"] if e["kind"] == "failover"]
    assert moves and moves[0]["detail"]["extra_cost"] == "0.01080"


def test_failover_after_not_sent_but_never_after_a_lost_answer(
    run: Runner, two: tuple[Sim, Sim]
) -> None:
    sim, alt = two
    alt.faults.queue("rate_limit", "add", count=50)  # cheap takes no order: not sent
    campaign([likes()])
    result = run("apply", "--auto-approve")
    assert result.code == 0, result.out + result.err
    # 102, then 101 (both on cheap) are not sent; demo's 3 is the third candidate.
    assert "to service 101 on cheap: 0.0108 USD more than planned" in result.out
    assert "to service 3 on demo: 0.01313 USD more than planned" in result.out  # 0.013125
    assert alt.orders() == [] and [o["service"] for o in sim.orders()] == [3]
    alt.faults.clear()
    campaign([likes("again", link="https://instagram.com/p/other")])
    alt.faults.queue("drop_after", "add")  # the order is made; its answer is lost
    result = run("apply", "--auto-approve", "--no-reconcile")
    assert result.code == 1
    assert "launch/again: in doubt" in result.out and "moved from" not in result.out
    assert len(alt.orders()) == 1 and len(sim.orders()) == 1  # nothing sent elsewhere


def test_failover_stays_within_the_budget(run: Runner, two: tuple[Sim, Sim]) -> None:
    _, alt = two
    campaign([likes("first", service="102", q=5000)], "panel: cheap\n", name="first")
    assert run("apply", "--auto-approve").code == 0
    campaign([likes()], "budget: 0.05\n")  # 102 costs 0.045 EUR; 101 would cost 0.055
    result = run("apply", "--auto-approve", "--target", "launch")
    assert result.code == 1
    assert "launch/likes: rejected" in result.out and "moved from" not in result.out
    assert [o["service"] for o in alt.orders()] == [102]


# --- drift ----------------------------------------------------------------------------------


def test_catalog_drift_is_reported(run: Runner, two: tuple[Sim, Sim]) -> None:
    sim, _ = two
    orders = [likes("a", service="3", link="https://instagram.com/p/a", q=100)]
    path = campaign(orders, "panel: demo\n")
    assert run("apply", "--auto-approve").code == 0
    assert run("plan", "--detailed-exitcode").code == 0  # nothing changed yet
    sim.panel.services.change(3, rate=Decimal("0.2"))
    result = run("plan", "--refresh-services", "--detailed-exitcode")
    assert result.code == 2, result.out
    assert (
        f"{path}:4:5: warning: service 3 on demo ('Instagram Likes [Fast, no refill]') costs "
        "more: 0.12345 → 0.20 USD" in result.out
    )
    drift = plan_json(run)["drift"]
    assert drift == [
        {
            "panel": "demo",
            "service": 3,
            "kind": "rate",
            "level": "warning",
            "message": drift[0]["message"],  # type: ignore[index]
            "old": "0.12345",
            "new": "0.20",
            "addresses": ["launch/a"],
        }
    ]
    # The report shows it among what needs a person (from the cached catalog, offline).
    assert run("report", "-o", "report.html").code == 0
    page = html.unescape(Path("report.html").read_text())
    assert "costs more: 0.12345 → 0.20 USD" in page
    # A number that now sells something else: an error for a new order naming it.
    sim.panel.services.change(3, name="TikTok Views [Slow]")
    path.write_text(path.read_text() + "  - " + likes("b", service="3", q=100) + "\n")
    result = run("plan", "--refresh-services", "--detailed-exitcode")
    assert result.code == 1
    assert (
        f"{path}:5:5: error: service 3 on demo is now 'TikTok Views [Slow]' (was 'Instagram "
        "Likes [Fast, no refill]'); confirm with `smm services demo --search 'TikTok Views "
        "[Slow]'`, then `smm services demo --accept 3`" in result.out
    ), result.out
    assert sim.orders()[-1]["link"] == "https://instagram.com/p/a"
    accepted = run("services", "demo", "--accept", "3")
    assert accepted.code == 0 and "Accepted service 3 on demo" in accepted.out
    result = run("plan", "--detailed-exitcode")
    assert result.code == 2 and "error" not in result.out, result.out
    # Gone: an error for the create, with the nearest services of the same type by name.
    sim.panel.services.change(3, gone=True)
    result = run("plan", "--refresh-services")
    assert result.code == 1
    assert (
        "error: service 3 on demo ('TikTok Views [Slow]', Default) is gone from the catalog; "
        "the nearest Default services by name:" in result.out
    )


# --- safety limits and --target --------------------------------------------------------------


def test_safety_limits_and_targets(run: Runner, two: tuple[Sim, Sim]) -> None:
    sim, _ = two
    many = [
        likes(f"o{i}", service="1", link=f"https://instagram.com/u{i}", q=100) for i in range(3)
    ]
    path = campaign(many, "panel: demo\nsafety: {max_creates: 2, max_spend: 0.20}\n")
    result = run("apply", "--auto-approve")
    assert result.code == 1
    assert (
        f"{path}:3:1: error: campaign launch: it creates 3 orders, above max_creates 2; "
        "check the plan, then pass --allow-over-limits to go ahead" in result.out
    )
    assert "it spends 0.27 USD, above max_spend 0.20 USD" in result.out
    assert sim.orders() == []
    # --target: one order (a saved plan keeps it), then a whole campaign.
    result = run("plan", "--target", "launch/o1", "-o", "plan.json")
    assert result.code == 0, result.out
    saved = json.loads(Path("plan.json").read_text())
    assert saved["targets"] == ["launch/o1"] and saved["allow_over_limits"] is False
    assert run("apply", "plan.json").code == 0
    assert [o["link"] for o in sim.orders()] == ["https://instagram.com/u1"]
    unknown = run("plan", "--target", "launch/nope")
    assert unknown.code == 1
    assert unknown.err == (
        "Error: --target launch/nope: no campaign or order address of that name in the "
        "campaign files\n"
    )
    result = run("apply", "--auto-approve", "--target", "launch", "--allow-over-limits")
    assert result.code == 0, result.out
    assert len(sim.orders()) == 3


def test_project_wide_safety_limits(
    run: Runner, sim: Sim, alt: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(sim, alt, "safety: {max_creates: 1}\n")
    monkeypatch.setenv("SIM_KEY", SECRET_KEY)
    orders = [likes(f"o{i}", service="1", link=f"https://x.com/u{i}", q=100) for i in range(2)]
    campaign(orders, "panel: demo\n")
    result = run("plan")
    assert result.code == 1
    assert (
        "smm.yaml:" in result.out
        and "campaign launch: it creates 2 orders, above max_creates 1 (safety: in smm.yaml)"
        in result.out
    )


@pytest.mark.parametrize("output", ["text", "json"])
def test_spend_in_two_currencies_is_never_one_sum(
    run: Runner, two: tuple[Sim, Sim], output: str
) -> None:
    campaign([likes("e", service="102")], "panel: cheap\n", name="eu")
    campaign([likes("u", service="1", q=100)], "panel: demo\n", name="us")
    result = run("apply", "--auto-approve", "--format", output)
    assert result.code == 0, result.out
    if output == "text":
        assert "Apply complete: 2 orders placed. Spent 0.045 EUR and 0.09 USD." in result.out
    else:
        last = json.loads(result.out.splitlines()[-1])
        assert last["spent_by_currency"] == {"EUR": "0.045", "USD": "0.09"}


def test_a_selector_order_in_doubt_is_imported_on_the_panel_it_was_sent_to(
    run: Runner, two: tuple[Sim, Sim]
) -> None:
    _, alt = two
    campaign([likes()])
    alt.faults.queue("drop_after", "add")  # placed on cheap; the answer is lost
    assert run("apply", "--auto-approve", "--no-reconcile").code == 1
    [placed] = alt.orders()
    result = run("state", "import", "launch/likes", str(placed["order"]), "--yes")
    assert result.code == 0, result.out + result.err
    shown = json.loads(run("state", "show", "launch/likes", "--json").out)
    assert (shown["phase"], shown["panel"], shown["spec"]["service"]) == ("placed", "cheap", 102)
    campaign([likes(), likes("new", link="https://instagram.com/p/new")])
    never = run("state", "import", "launch/new", str(placed["order"]), "--yes")
    assert never.code == 1
    assert never.err == (
        "Error: launch/new chooses its service by selector, and no choice of it is recorded: "
        "there is no panel and service to import it against\n"
    )


def test_a_campaign_across_currencies_is_held_to_its_budget_through_the_exchange(
    run: Runner, two: tuple[Sim, Sim]
) -> None:
    on_demo = likes("a", service="{match: instagram likes, panels: [demo]}", q=1000)
    on_cheap = likes("b", service="{match: instagram likes, panels: [cheap]}", q=1000)
    path = campaign([on_demo, on_cheap], "budget: 0.20\n")
    data = plan_json(run)
    # 0.12345 USD + 0.09 EUR x 1.08 = 0.22065 USD, above the budget of 0.20 (in USD).
    assert data["campaigns"] == [
        {
            "campaign": "launch",
            "cost": "0.22065",
            "budget": "0.20",
            "spent": "0",
            "currency": "USD",
        }
    ]
    result = run("plan")
    assert result.code == 1
    assert (
        f"{path}:2:9: error: campaign launch: spend 0.22065 USD (recorded 0.00 USD + planned "
        "0.22065 USD) is above its budget 0.20 USD" in result.out
    ), result.out
    campaign([on_demo, on_cheap], "budget: 0.25\n")
    assert run("apply", "--auto-approve").code == 0


def test_without_an_exchange_a_campaign_in_two_currencies_is_refused(
    run: Runner, sim: Sim, alt: Sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(sim, alt)
    monkeypatch.setenv("SIM_KEY", SECRET_KEY)
    orders = [likes("a", service="3", q=100).replace("{id", "{panel: demo, id")]
    orders.append(likes("b", service="102", q=100).replace("{id", "{panel: cheap, id"))
    campaign(orders)
    result = run("plan")
    assert result.code == 1
    assert (
        "campaign launch: its orders are priced in EUR and USD; a campaign's spend must be in "
        "one currency (split it by panel currency, or set currency: and exchange: in smm.yaml)"
        in result.out
    )


def test_a_hostile_candidate_neither_hides_a_choice_nor_takes_a_lost_order(
    run: Runner, sim: Sim, hostile: HostilePanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cheapest candidate is a hostile panel: its names carry terminal escapes, and
    its `add` answer is a 502 page (the order may exist): nothing is sent elsewhere."""
    fields = {"key_env": "SIM_KEY", "settle_seconds": "0.3"}
    write_project(
        Path.cwd(), {"demo": {"url": sim.url, **fields}, "evil": {"url": hostile.url, **fields}}
    )
    monkeypatch.setenv("SIM_KEY", SECRET_KEY)
    listed = [
        {
            "service": 9,
            "name": "Instagram Likes \x1b[2J\x1b]0;pwned\x07 cheap",
            "type": "Default",
            "category": "IG",
            "rate": "0.01",
            "min": "10",
            "max": "10000",
        },
        {
            "service": 10,
            "name": "Instagram Likes odd",
            "type": "Default",
            "rate": "-5",
            "min": "10",
            "max": "100",
        },
    ]
    hostile.reply(listed, action="services").reply(
        {"balance": "100", "currency": "USD"}, action="balance"
    )
    hostile.reply(body="<html>502 Bad Gateway</html>", action="add", status=502)
    campaign([likes(service="{match: instagram likes, panels: [evil, demo]}")])
    shown = run("-v", "plan")
    assert shown.code == 0, shown.out + shown.err
    assert "\x1b" not in shown.out and "panel        evil, service 9" in shown.out
    assert "left out     10 Instagram Likes odd on evil:" in shown.out
    result = run("apply", "--auto-approve", "--no-reconcile")
    assert result.code == 1
    assert "launch/likes: in doubt" in result.out and "moved from" not in result.out
    assert sim.orders() == []
    shown_state = json.loads(run("state", "show", "launch/likes", "--json").out)
    assert (shown_state["phase"], shown_state["panel"]) == ("in_doubt", "evil")


def test_a_saved_plan_whose_choice_would_change_is_stale(run: Runner, two: tuple[Sim, Sim]) -> None:
    sim, alt = two
    campaign([likes()])
    assert run("plan", "-o", "plan.json").code == 0
    sim.panel.services.change(3, rate=Decimal("0.001"))  # demo is now the cheapest
    result = run("apply", "plan.json")
    assert result.code == 1 and "run smm plan again" in result.err, result.err
    assert sim.orders() == [] and alt.orders() == []


def test_a_saved_plan_keeps_allow_over_limits(run: Runner, two: tuple[Sim, Sim]) -> None:
    sim, _ = two
    orders = [likes(f"o{i}", service="1", link=f"https://x.com/u{i}", q=100) for i in range(2)]
    campaign(orders, "panel: demo\nsafety: {max_creates: 1}\n")
    assert run("plan", "-o", "plan.json").code == 1  # over the limit: not saved
    assert not Path("plan.json").exists()
    assert run("plan", "-o", "plan.json", "--allow-over-limits").code == 0
    assert json.loads(Path("plan.json").read_text())["allow_over_limits"] is True
    result = run("apply", "plan.json")
    assert result.code == 0, result.out + result.err
    assert "allowed by --allow-over-limits" in result.out and len(sim.orders()) == 2


def test_a_damaged_catalog_memory_is_no_memory(run: Runner, two: tuple[Sim, Sim]) -> None:
    sim, _ = two
    campaign([likes("a", service="3", q=100)], "panel: demo\n")
    assert run("apply", "--auto-approve").code == 0
    with sqlite3.connect(".smm/state.db") as db:
        keys = [k for (k,) in db.execute("SELECT key FROM meta WHERE key LIKE 'service:%'")]
        assert keys == ["service:demo:3"]
        db.execute("UPDATE meta SET value = '{not json' WHERE key = ?", keys)
        db.execute("INSERT INTO meta VALUES ('service:demo:x', '{}')")
    sim.panel.services.change(3, rate=Decimal("5"))
    result = run("plan", "--refresh-services", "--detailed-exitcode")
    assert result.code == 0 and "costs more" not in result.out, result.out
    assert run("apply", "--auto-approve").code == 0  # and the next apply remembers again
    sim.panel.services.change(3, rate=Decimal("6"))
    assert "costs more: 5.00 → 6.00 USD" in run("plan", "--refresh-services").out
