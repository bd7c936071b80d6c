"""The report as a person sees it: opened from file:// in a real headless chromium, with
no request but the file itself, no console error, every chart drawn by the library with
the state's data, and the numbers shown equal to the state's."""

from __future__ import annotations

import importlib
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from runner.money import format_amount
from runner.state import Phase, open_readonly
from tests.conftest import Runner
from tests.render.report.conftest import (
    HOSTILE,
    HOSTILE_LINK,
    STATE,
    Scenario,
    generate,
    hostile,
    open_report,
    screenshot,
)


def test_report_of_a_simulated_campaign(
    run: Runner,
    scenario: Scenario,
    browser: BrowserContext,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run("report", "-o", str(tmp_path / "report.html"))
    assert result.code == 0, result.err
    assert f"Report written to {tmp_path / 'report.html'}" in result.out
    reader = open_readonly(STATE)
    records = reader.records()
    history = reader.history()
    reader.close()
    with open_report(browser, tmp_path / "report.html") as opened:
        page = opened.page
        charts = page.eval_on_selector_all("[data-chart]", "els => els.map(e => e.dataset.chart)")
        assert opened.draw_all() == charts and len(charts) >= 5
        # the library drew each one: an SVG with marks in it
        for chart in charts:
            marks = page.locator(f'[data-chart="{chart}"] svg .role-mark').count()
            assert marks > 0, chart
        # spend: the state's, split into the panel's charges and our estimates
        spent = sum((r.spent for r in records.values()), Decimal(0))
        charged = sum(
            (r.spent for r in records.values() if r.spent_is_charge),
            Decimal(0),
        )
        row = page.locator('#spend tr[data-campaign="launch"]')
        assert row.locator('[data-k="spent"]').inner_text() == format_amount(spent)
        assert row.locator('[data-k="charged"]').inner_text() == format_amount(charged)
        assert row.locator('[data-k="estimated"]').inner_text() == format_amount(spent - charged)
        assert row.locator('[data-k="budget"]').inner_text() == "5.00"
        doubt = records["launch/doubt"]
        assert doubt.phase is Phase.IN_DOUBT and doubt.last is None
        assert spent - charged == doubt.estimated_cost  # only the in-doubt one has no charge
        # counts by status
        shown = {
            page.locator("#counts tr[data-status]").nth(i).get_attribute("data-status"): int(
                page.locator("#counts tr[data-status] [data-k=count]").nth(i).inner_text()
            )
            for i in range(page.locator("#counts tr[data-status]").count())
        }
        assert shown == {"Completed": 1, "Partial": 1, "IN DOUBT": 1}
        assert shown == Counter(
            "IN DOUBT" if r.phase is Phase.IN_DOUBT else r.last.status if r.last else "-"
            for r in records.values()
        )
        # delivered per order, and the points of each curve are the state's observations
        for address, status in scenario.statuses.items():
            record = records[address]
            assert record.last is not None and record.last.remains is not None
            card = page.locator(f'article[data-address="{address}"]')
            assert card.get_attribute("data-status") == status
            units = record.spec["units"]
            assert card.locator('[data-k="delivered"]').inner_text() == str(
                units - record.last.remains
            )
            assert card.locator('[data-k="quantity"]').inner_text() == str(units)
            chart = card.locator("[data-chart]").get_attribute("data-chart")
            assert chart is not None
            drawn = opened.data(chart, "points")
            observed = [h for h in history if h.address == address]
            assert [(p["s"], p["d"]) for p in drawn][: len(observed)] == [
                (h.status, None if h.remains is None else units - h.remains) for h in observed
            ]
        # the refill and the drop after completion are drawn on launch/big's chart
        big = page.locator('article[data-address="launch/big"]')
        chart = big.locator("[data-chart]").get_attribute("data-chart")
        assert chart is not None
        assert [d["l"] for d in opened.data(chart, "drops")] == [scenario.lost]
        refills = opened.data(chart, "refills")
        assert [r["t"] for r in refills] == [r.requested_at for r in records["launch/big"].refills]
        assert f"lost {scenario.lost} after completion" in big.inner_text()
        # hovering a point shows what was observed (the library's tooltip)
        big.locator("svg .mark-symbol path").first.hover()
        tooltip = page.locator("#vg-tooltip-element")
        tooltip.wait_for(state="visible")
        assert "status" in tooltip.inner_text() and "delivered" in tooltip.inner_text()
        assert page.locator('header [data-k="dropped"]').inner_text() == "1"
        # what needs a person: the order in doubt, with the commands that settle it
        need = page.locator('#attention tr[data-kind="in doubt"]')
        assert need.count() == 1 and need.get_attribute("data-address") == "launch/doubt"
        assert "smm state import launch/doubt ORDER_ID" in need.inner_text()
        assert "smm state retry launch/doubt" in need.inner_text()
        # apply records the balance it saw: the panel's curve is drawn
        balances = page.locator("#balances")
        assert "demo" in balances.inner_text() and "no balance recorded yet" not in (
            balances.inner_text()
        )
        assert balances.locator("svg").count() >= 1
        with capsys.disabled():
            screenshot(page, "simulated-campaign")
        assert opened.requests == [] and opened.errors == []


def test_a_thousand_orders_open_offline_from_file_url(
    run: Runner, browser: BrowserContext, tmp_path: Path
) -> None:
    """The file alone, in an empty folder, with the browser offline: it opens, the charts
    in view are drawn at once and the others as they are scrolled to."""
    generate(Path("state.db"), orders=1000, observations=12)
    assert run("--state", "state.db", "report", "-o", "big.html").code == 0
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy("big.html", alone / "report.html")
    browser.set_offline(True)
    try:
        with open_report(browser, alone / "report.html") as opened:
            page = opened.page
            assert page.url.startswith("file://")
            page.wait_for_selector('[data-chart="c0"][data-state="drawn"]')
            assert page.locator('header [data-k="orders"]').inner_text() == "1000"
            last = page.locator("[data-chart]").last
            assert last.get_attribute("data-state") is None  # not drawn until needed
            last.scroll_into_view_if_needed()
            page.wait_for_function("el => el.dataset.state === 'drawn'", arg=last.element_handle())
            assert last.locator("svg .role-mark").count() > 0
            chart = last.get_attribute("data-chart")
            assert chart is not None and len(opened.data(chart, "points")) == 12
            assert opened.requests == [] and opened.errors == []
    finally:
        browser.set_offline(False)


def test_hostile_texts_stay_text(run: Runner, browser: BrowserContext) -> None:
    """Panel texts, links and statuses that are markup and script: shown as text; nothing
    runs, nothing is fetched, every chart is still drawn."""
    hostile(Path("state.db"))
    assert run("--state", "state.db", "report").code == 0
    with open_report(browser, Path("report.html")) as opened:
        page = opened.page
        assert len(opened.draw_all()) == page.locator("[data-chart]").count()
        assert page.locator("img, iframe, object, embed").count() == 0
        assert page.locator("script").count() == 2
        text = page.locator("body").inner_text()
        assert HOSTILE in text and HOSTILE_LINK in text
        need = page.locator("#attention tr[data-kind]")
        assert need.count() == 2 and HOSTILE in need.first.inner_text()
        # the library's tooltip shows a hostile status as text too
        page.locator('article[data-address="evil/placed"] svg .mark-symbol path').first.hover()
        tooltip = page.locator("#vg-tooltip-element")
        tooltip.wait_for(state="visible")
        assert HOSTILE in tooltip.inner_text()
        assert page.locator("img, iframe, object, embed").count() == 0
        assert opened.requests == [] and opened.errors == []


def test_the_harness_sees_requests_and_console_errors(browser: BrowserContext) -> None:
    """The checks above can fail: a page that fetches and logs an error is caught."""
    Path("leaky.html").write_text(
        '<img src="https://cdn.example/chart.js"><script>window.smmReport = {};'
        'console.error("boom")</script>'
    )
    with open_report(browser, Path("leaky.html")) as opened:
        opened.page.wait_for_load_state("load")
    assert opened.requests == ["https://cdn.example/chart.js"]
    assert "error: boom" in opened.errors


def test_a_large_state_opens_as_a_summary(
    run: Runner, browser: BrowserContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the limit the page is a summary: it opens, draws, and holds no more delivery
    charts than its bound, whatever the number of orders."""
    page_module = importlib.import_module("runner.render.report.page")

    monkeypatch.setattr(page_module, "IN_FULL_UP_TO", 100)
    generate(Path("state.db"), orders=600, observations=3)
    assert run("--state", "state.db", "report", "-o", "big.html").code == 0
    with open_report(browser, Path("big.html")) as opened:
        opened.page.wait_for_selector('[data-chart="c0"][data-state="drawn"]')
        assert opened.page.locator('header [data-k="orders"]').inner_text() == "600"
        assert opened.page.locator("article.order").count() == page_module.CHARTS_PER_CAMPAIGN * 10
        assert opened.page.locator("p.counts").count() == 10
        drawn = opened.draw_all()
        assert len([c for c in drawn if c.startswith("c")]) == len(drawn)
        assert opened.requests == [] and opened.errors == []
