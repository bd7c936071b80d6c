"""How long a report page takes to open in a real headless browser (Debian's chromium,
driven by Playwright, as the report tests drive it): from the start of navigation to
the page loaded, its script started and the charts in view drawn."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 180_000


def open_seconds(page_file: Path) -> float:
    """Seconds until ``page_file`` is open, offline, its first chart drawn."""
    from playwright.sync_api import sync_playwright

    url = page_file.resolve().as_uri()
    with (
        tempfile.TemporaryDirectory(prefix="smm-bench-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1200, "height": 900},
        )
        try:
            context.set_offline(True)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.set_default_timeout(TIMEOUT_MS)
            started = time.perf_counter()
            page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
            page.wait_for_function("() => window.smmReport !== undefined")
            page.wait_for_selector('[data-chart="c0"][data-state="drawn"]')
            seconds = time.perf_counter() - started
            assert not errors, errors
            return seconds
        finally:
            context.close()
