"""`smm report` without a browser: the values it gathers, its Markdown and JSON, its
errors, its size for 1,000 orders, and that no other command pays for its library."""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from runner.render.report import page, vega
from runner.render.report.content import Desired, build, curve, drops
from runner.state import LastStatus, Observation, OrderRecord, Phase, open_readonly
from tests.conftest import REPO, Runner, Sim, write_campaign
from tests.render.report.conftest import HOSTILE, HOSTILE_LINK, generate, hostile, spec_of

NOW = _dt.datetime(2026, 11, 27, 12, 0, tzinfo=_dt.UTC)


def record(address: str, phase: Phase = Phase.PLACED, **fields: object) -> OrderRecord:
    values: dict[str, object] = {
        "address": address,
        "campaign": address.split("/")[0],
        "panel": "demo",
        "fingerprint": "fp",
        "phase": phase,
        "spec": spec_of(address, 1000, "https://instagram.com/a"),
        **fields,
    }
    return OrderRecord(**values)  # type: ignore[arg-type]


def seen(at: str, status: str, remains: int | None) -> Observation:
    return Observation("c/a", at, status, remains, 0, Decimal("0.90"), "USD")


def test_a_curve_is_the_observations_and_drops_are_falls_after_completion() -> None:
    history = [
        seen("t1", "Pending", 1000),
        seen("t2", "In progress", 400),
        seen("t3", "Completed", 0),
        seen("t4", "Completed", 70),  # 70 followers lost
        seen("t5", "Completed", 20),  # the refill gave some back
        seen("t6", "Completed", 45),  # and 25 went again
    ]
    last = LastStatus("Completed", 45, 0, Decimal("0.90"), "USD", "t7")
    points = curve(record("c/a", last=last), history)
    assert [(p.at, p.delivered) for p in points] == [
        ("t1", 0),
        ("t2", 600),
        ("t3", 1000),
        ("t4", 930),
        ("t5", 980),
        ("t6", 955),
        ("t7", 955),  # seen again later, unchanged: a real observation closes the curve
    ]
    assert [(d.at, d.lost, d.delivered) for d in drops(points)] == [
        ("t4", 70, 930),
        ("t6", 25, 955),
    ]
    # a fall while the panel is still delivering is not a drop
    assert (
        drops(curve(record("c/a"), [seen("t1", "In progress", 10), seen("t2", "In progress", 20)]))
        == ()
    )


def test_spend_is_the_shared_definition_split_into_charges_and_estimates() -> None:
    charged = LastStatus("Partial", 500, 0, Decimal("0.45"), "USD", "t1")
    uncharged = LastStatus("Pending", 1000, 0, None, None, "t1")
    records = {
        r.address: r
        for r in (
            record("c/charged", last=charged, estimated_cost=Decimal("0.90")),
            record("c/estimate", last=uncharged, estimated_cost=Decimal("0.90")),
            record("c/doubt", Phase.IN_DOUBT, estimated_cost=Decimal("0.30")),
            record("c/refused", Phase.REJECTED, estimated_cost=Decimal("5.00"), error="no"),
        )
    }
    report = build(
        records,
        [],
        [],
        Desired(budgets={"c": Decimal("1.50")}, fingerprints={}),
        state="s",
        now=NOW,
    )
    (spend,) = report.campaigns
    assert spend.spent == sum((r.spent for r in records.values()), Decimal(0))
    assert (spend.charged, spend.estimated) == (Decimal("0.45"), Decimal("1.20"))
    assert spend.left == Decimal("-0.15") and spend.over
    assert {a.address: a.kind for a in report.attention} == {
        "c/doubt": "in doubt",
        "c/refused": "rejected",
    }
    assert report.by_status == {
        "IN DOUBT": 1,
        "Partial": 1,
        "Pending": 1,
        "REJECTED": 1,
    }


def report_json(run: Runner, *args: str, state: str | None = None) -> dict[str, object]:
    result = run(*(("--state", state) if state else ()), "report", "--format", "json", *args)
    assert result.code == 0, result.err
    document: dict[str, object] = json.loads(result.out)
    return document


def test_refresh_then_conflicts_rejections_and_markdown(
    run: Runner, clocked: tuple[Sim, list[float]]
) -> None:
    sim, clock = clocked
    orders = [
        "{id: a, service: 1, link: https://instagram.com/a, quantity: 100}",
        "{id: b, service: 1, link: https://instagram.com/b, quantity: 100}",
    ]
    write_campaign("c", orders, extra="budget: 1\n")
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3
    document = report_json(run, "--refresh")
    assert sim.endpoint.by_action["status"] == 1  # asked the panel first, one batch
    assert document["by_status"] == {"In progress": 2}
    assert Path("report.html").is_file() and document["path"] == "report.html"
    # the file of c/b was edited after it was placed: a conflict, with where and the fix
    write_campaign("c", [orders[0], orders[1].replace("100}", "200}")], extra="budget: 1\n")
    document = report_json(run)
    assert document["attention"] == [
        {
            "address": "c/b",
            "kind": "conflict",
            "why": "the order in campaigns/c.yaml:6 was edited after it was placed",
            "commands": [],
            "advice": "Revert the edit, or give the order a new id to place a new order.",
        }
    ]
    reader = open_readonly(Path(".smm/state.db"))
    spent = sum((r.spent for r in reader.records().values()), Decimal(0))
    reader.close()
    markdown = run("report", "--format", "markdown", "-o", "r.html")
    assert markdown.code == 0 and Path("r.html").is_file()
    assert f"| c | 2 | {spent:.2f} | 0.00 | **{spent:.2f}** USD | 1.00 |" in markdown.out
    assert "- `c/b`: conflict: the order in campaigns/c.yaml:6 was edited" in markdown.out
    assert "The full report with charts: `r.html`" in markdown.out


def test_hostile_texts_are_escaped_in_markdown_and_html(run: Runner) -> None:
    hostile(Path("state.db"))
    result = run("--state", "state.db", "report", "--format", "markdown")
    assert result.code == 0, result.err
    assert "<" not in result.out and "](" not in result.out
    assert "&lt;/script&gt;&lt;script&gt;alert" in result.out
    html = Path("report.html").read_text()
    ours = html[: html.index('<script type="module">')]  # all but the library
    body, data = ours.split('<script type="application/json" id="smm-charts">')
    assert "<img" not in body and "<script" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body  # shown, as text
    assert "&quot;&gt;&lt;img/src=x/onerror=alert(2)&gt;" in body
    assert data.count("<") == 1 and data.endswith("</script>")
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert" in data  # the status, as data
    assert HOSTILE not in html and HOSTILE_LINK not in html


def test_balances_where_recorded(run: Runner) -> None:
    generate(Path("state.db"), orders=3, observations=2)
    document = report_json(run, state="state.db")
    balances = document["balances"]
    assert isinstance(balances, dict) and len(balances["demo"]) == 24
    assert balances["demo"][0] == {
        "panel": "demo",
        "at": "2026-11-01T00:30:00.000Z",
        "amount": "900",
        "currency": "USD",
    }
    html = Path("report.html").read_text()
    assert 'data-panel="demo"' in html and "no balance recorded yet" not in html


def test_a_thousand_orders_stay_under_5_mb(run: Runner, capsys: pytest.CaptureFixture[str]) -> None:
    generate(Path("state.db"), orders=1000, observations=12)
    result = run("--state", "state.db", "report", "-o", "big.html")
    assert result.code == 0, result.err
    size = Path("big.html").stat().st_size
    assert "1000 orders in 10 campaigns" in result.out
    assert size < 5_000_000
    with capsys.disabled():
        print(f"\n1,000 orders x 12 observations: {size:,} bytes")
    text = Path("big.html").read_text()
    assert text.count('class="order"') == 1000 and text.count("data-chart=") == 1000 + 4


def test_without_the_charting_library_one_line(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(Path("state.db"), orders=1, observations=1)
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # as if not installed
    vega.script.cache_clear()
    result = run("--state", "state.db", "report")
    vega.script.cache_clear()
    assert result.code == 1 and not Path("report.html").exists()
    assert result.err == (
        "Error: smm report draws its charts with vl-convert-python: "
        "pip install 'smm-runner[report]'\n"
    )


def test_an_unwritable_target_is_one_line(run: Runner) -> None:
    generate(Path("state.db"), orders=1, observations=1)
    result = run("--state", "state.db", "report", "-o", "missing/report.html")
    assert result.code == 1
    assert result.err.startswith("Error: cannot write missing/report.html: ")
    assert result.err.count("\n") == 1


def imported_by(*args: str, cwd: Path) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "runner", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }


def test_other_commands_do_not_import_the_charting_library(run: Runner) -> None:
    write_campaign("c", ["{id: a, service: 1, link: https://instagram.com/a, quantity: 100}"])
    Path("smm.yaml").write_text("panels:\n  demo:\n    url: sim://demo\n")
    assert run("apply", "--auto-approve").code == 0
    for args in (("status",), ("plan", "--help")):
        imported = imported_by(*args, cwd=Path.cwd())
        assert "runner.cli" in imported, args
        assert not {m for m in imported if re.match(r"vl_convert|runner\.render\.report", m)}
    # and the report does import it (the check above can fail)
    assert "vl_convert" in imported_by("report", cwd=Path.cwd())


def test_page_escapes_every_text_it_is_given() -> None:
    records = {
        "e/x": record(
            "e/x",
            Phase.REJECTED,
            error=HOSTILE,
            spec=spec_of("e/x", 1, HOSTILE_LINK),
        )
    }
    report = build(records, [], [], Desired(budgets={}, fingerprints={}), state=HOSTILE, now=NOW)
    html = page(report)
    ours = html[: html.index('<script type="module">')]
    assert "<img" not in ours and ours.count("<script") == 1
    assert html.count("</script>") == 2


def test_at_volume_the_page_summarises(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``IN_FULL_UP_TO`` orders: per campaign its orders by status, every order that
    needs a person (in full, charted or not), and at most a few delivery charts; every
    order still counted."""
    page_module = importlib.import_module("runner.render.report.page")

    monkeypatch.setattr(page_module, "IN_FULL_UP_TO", 20)
    monkeypatch.setattr(page_module, "CHARTS_PER_CAMPAIGN", 2)
    monkeypatch.setattr(page_module, "MAX_CHARTS", 5)
    records = {}
    for c in range(4):
        for i in range(15):
            address = f"c{c}/o{i:02d}"
            done = LastStatus("Completed", 0, 0, Decimal("0.90"), "USD", "2026-11-02T00:00:00Z")
            records[address] = record(address, order_id=c * 100 + i, last=done)
    for address in ("c0/o03", "c0/o07", "c3/o14"):
        records[address] = record(address, Phase.IN_DOUBT, error="the answer was lost")
    records["c1/o05"] = record(
        "c1/o05",
        order_id=105,
        last=LastStatus("In progress", 500, 0, None, "USD", "2026-11-02T00:00:00Z"),
    )
    report = build(records, [], [], Desired({}, {}), state="s", now=NOW)
    html = page(report)
    order_charts = re.findall(r'<article class="order" data-address="([^"]+)"', html)
    drawn = re.findall(r'aria-label="delivery of ([^"]+)"', html)
    assert len(drawn) == 5  # the page's bound (2 a campaign, 5 in all)
    assert [a for a in order_charts if a.startswith("c0")][:2] == ["c0/o03", "c0/o07"]
    assert "c3/o14" in order_charts  # needs a person: shown though the bound was spent
    assert set(order_charts) - set(drawn) == {"c0/o03", "c0/o07", "c3/o14"}  # nothing to draw
    assert drawn[2] == "c1/o05"  # under way before finished
    assert [a.split("/")[0] for a in drawn] == ["c0", "c0", "c1", "c1", "c2"]
    counts = re.findall(r'<p class="counts" data-campaign="(c\d)">(.*?)</p>', html)
    assert [c for c, _ in counts] == ["c0", "c1", "c2", "c3"]
    numbers = [int(n) for _, line in counts for n in re.findall(r"</span> (\d+)", line)]
    assert sum(numbers) == 60
    hidden = [int(n) for n in re.findall(r'<p class="help more">(\d+) more order', html)]
    assert sum(hidden) + len(order_charts) == 60
    assert 'id="summarised"' in html


def test_up_to_the_limit_every_order_is_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    page_module = importlib.import_module("runner.render.report.page")

    monkeypatch.setattr(page_module, "IN_FULL_UP_TO", 20)
    records = {f"c/o{i}": record(f"c/o{i}", order_id=i) for i in range(20)}
    html = page(build(records, [], [], Desired({}, {}), state="s", now=NOW))
    assert len(re.findall(r'<article class="order"', html)) == 20
    assert 'id="summarised"' not in html
