"""What the report tests share: a campaign played on the simulated panel over HTTP (a
partial order, a refill, a drop after completion, an order in doubt), and a real
headless browser (a Chromium found on PATH or Playwright's own, driven by Playwright)
that fails a test on any
request other than the report file itself and on any console error."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runner.state import BalanceSeen, LastStatus, RefillRecord, locked, now_iso, open_store
from runner.state.location import StateLocation
from tests.conftest import REPO, Runner, Sim, write_campaign

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, Request

# Where a Chromium may be, in the order looked at: SMM_CHROMIUM, the usual names on PATH,
# then the one Playwright installs for itself (`playwright install chromium`).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Set by .ci/run (which installs Debian's chromium): there a missing browser fails.
REQUIRE = "SMM_REQUIRE_BROWSER"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / ".artifacts" / "report"
STATE = Path(".smm/state.db")

BIG = "{id: big, service: 1, link: https://instagram.com/acme, quantity: 1000, refills: 1}"
PART = "{id: part, service: 3, link: https://instagram.com/p/1, quantity: 2000%s}"
DOUBT = "{id: doubt, service: 1, link: https://instagram.com/other, quantity: 200}"


@dataclass
class Scenario:
    """The campaign ``launch`` after its story was played; ``lost`` units fell off
    ``launch/big`` after it completed."""

    sim: Sim
    lost: int = 70
    statuses: dict[str, str] = field(default_factory=dict)


def _refresh(run: Runner) -> None:
    result = run("refresh")
    assert result.code == 0, result.err


@pytest.fixture
def scenario(run: Runner, clocked: tuple[Sim, list[float]]) -> Iterator[Scenario]:
    """Play the story on the simulator, over HTTP, with a clock the test moves."""
    sim, clock = clocked
    write_campaign("launch", [BIG, PART % ""], extra="budget: 5\n")
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 6  # six sim-minutes: both orders part-way
    _refresh(run)
    # cancel the likes half-way: the panel ends it Partial
    write_campaign("launch", [BIG, PART % ", cancel: true"], extra="budget: 5\n")
    assert run("apply", "--auto-approve").code == 0
    clock[0] += 3600
    _refresh(run)
    story = Scenario(sim)
    # followers fell off after completion: what the panel's status says next
    with locked(StateLocation(path=STATE.resolve())) as store:
        record = store.record("launch/big")
        assert record is not None and record.last is not None
        assert record.last.status == "Completed"
        with store.transaction() as tx:
            tx.status(
                "launch/big",
                LastStatus("Completed", story.lost, 0, record.last.charge, "USD", now_iso()),
            )
    assert run("apply", "--auto-approve").code == 0  # the refill is requested
    clock[0] += 3600
    _refresh(run)  # refilled: the panel reports everything delivered again
    # one more order, whose add answer is lost: in doubt (the last apply, so no later
    # plan reconciles it)
    write_campaign("launch", [BIG, PART % ", cancel: true", DOUBT], extra="budget: 5\n")
    sim.faults.queue("drop_after", action="add")
    assert run("apply", "--auto-approve").code == 1
    _refresh(run)
    story.statuses = {"launch/big": "Completed", "launch/part": "Partial"}
    yield story


def find_chromium() -> tuple[Path | None, list[str]]:
    """A Chromium to drive, found the usual ways, and where it was looked for."""
    looked = []
    chosen = os.environ.get("SMM_CHROMIUM")
    if chosen:
        looked.append(f"SMM_CHROMIUM={chosen}")
        if Path(chosen).is_file():
            return Path(chosen), looked
    for name in CHROMIUM_NAMES:
        looked.append(f"{name} on PATH")
        found = shutil.which(name)
        if found:
            return Path(found), looked
    looked.append("Playwright's own chromium")
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            own = Path(playwright.chromium.executable_path)
        if own.is_file():
            return own, looked
    except Exception:  # no driver, no browser: looked for, not found
        pass
    return None, looked


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """A headless Chromium with a new empty profile: the first of SMM_CHROMIUM, chromium
    (or chromium-browser, google-chrome) on PATH, Playwright's own.  Without one the
    tests are skipped, saying why, except where SMM_REQUIRE_BROWSER is set (.ci/run)."""
    executable, looked = find_chromium()
    if executable is None:
        reason = (
            "no Chromium to open the report in (looked for: "
            + ", ".join(looked)
            + "); install one: apt-get install chromium, or playwright install chromium"
        )
        if os.environ.get(REQUIRE):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="smm-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(executable),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class Opened:
    page: Page
    requests: list[str]
    errors: list[str]

    def draw_all(self) -> list[str]:
        """Draw every chart (as scrolling past each would); the names of those drawn."""
        self.page.evaluate("() => window.smmReport.drawAll()")
        drawn: list[str] = self.page.eval_on_selector_all(
            "[data-chart]",
            "els => els.filter(e => e.dataset.state === 'drawn').map(e => e.dataset.chart)",
        )
        return drawn

    def data(self, chart: str, dataset: str) -> list[dict[str, Any]]:
        """The rows Vega drew from one dataset of a chart."""
        rows: list[dict[str, Any]] = self.page.evaluate(
            "([c, d]) => window.smmReport.views[c].data(d)", [chart, dataset]
        )
        return rows


@contextmanager
def open_report(context: BrowserContext, path: Path) -> Iterator[Opened]:
    """The report opened from ``file://``: every other request is aborted and recorded,
    every console error and page error recorded."""
    page = context.new_page()
    url = path.resolve().as_uri()
    opened = Opened(page, [], [])

    def on_request(request: Request) -> None:
        if request.url != url:
            opened.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            opened.errors.append(f"{message.type}: {message.text}")

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"page error: {error}"))

    def on_dialog(dialog: Dialog) -> None:  # an alert() would mean injected script ran
        opened.errors.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url == url else route.abort(),
    )
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.smmReport !== undefined")
    try:
        yield opened
    finally:
        page.close()


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot kept under .artifacts/ (ignored by git); prints its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"\nscreenshot: {path}")
    return path


def money(text: str) -> Decimal:
    return Decimal(text.strip())


def spec_of(address: str, units: int | None, link: str) -> dict[str, Any]:
    """An order's spec as apply records it."""
    return {
        "address": address,
        "panel": "demo",
        "service": 1,
        "params": {"link": link, "quantity": units},
        "refills": 1,
        "cancel": False,
        "units": units,
        "service_type": "Default",
    }


def generate(path: Path, orders: int = 1000, observations: int = 12) -> None:
    """A state of ``orders`` placed orders in ten campaigns, each observed ``observations``
    times as it was delivered; every seventh refilled; a balance seen after each hour."""
    store = open_store(StateLocation(path=path))
    try:
        with store.transaction() as tx:
            for i in range(orders):
                campaign = f"campaign-{i % 10}"
                address = f"{campaign}/order-{i:04d}"
                spec = spec_of(address, 1000, f"https://instagram.com/u{i}")
                tx.begin_submit(address, campaign, "demo", "sha256:x", spec, Decimal("0.9"), "r")
                tx.placed(address, 100_000 + i)
                for k in range(observations):
                    remains = max(0, 1000 - (k + 1) * 1000 // observations - i % 3)
                    status = "Completed" if remains == 0 else "In progress"
                    at = f"2026-11-{1 + k // 24:02d}T{k % 24:02d}:{i % 60:02d}:00.000Z"
                    tx.status(address, LastStatus(status, remains, 0, Decimal("0.9"), "USD", at))
                if i % 7 == 0:
                    refill = RefillRecord("2026-11-02T00:00:00.000Z", 5000 + i, status="Completed")
                    tx.refill(address, refill)
            for k in range(24):
                at = f"2026-11-01T{k:02d}:30:00.000Z"
                tx.balance(BalanceSeen("demo", at, Decimal(900) - 37 * k, "USD"))
    finally:
        store.close()


# Texts a hostile panel, file or state could hold: each would run or fetch something if
# the page took it for markup.
HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_LINK = 'https://a.test/"><img/src=x/onerror=alert(2)>'


def hostile(path: Path) -> None:
    """A state whose panel texts, links and statuses are markup and script."""
    store = open_store(StateLocation(path=path))
    try:
        with store.transaction() as tx:
            for name in ("placed", "rejected", "doubt"):
                address = f"evil/{name}"
                spec = spec_of(address, 100, HOSTILE_LINK)
                tx.begin_submit(address, "evil", "demo", "fp", spec, Decimal("0.09"), "r")
            tx.placed("evil/placed", 7)
            first, then = "2026-11-01T08:00:00.000Z", "2026-11-01T12:00:00.000Z"
            tx.status("evil/placed", LastStatus(HOSTILE, 40, 0, None, "USD", first))
            tx.status("evil/placed", LastStatus("In progress", 10, 0, None, HOSTILE, then))
            tx.rejected("evil/rejected", HOSTILE)
            tx.in_doubt("evil/doubt", HOSTILE)
            tx.balance(BalanceSeen("demo", now_iso(), Decimal("1.00"), HOSTILE))
    finally:
        store.close()
