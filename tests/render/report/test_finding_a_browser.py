"""The browser tests find a Chromium the usual ways, skip with the reason where there is
none, and never skip in .ci/run (which installs one): there a missing browser fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.render.report.conftest import REQUIRE, find_chromium


def browser_tests(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            str(REPO / "tests" / "render" / "report" / "test_browser.py"),
            "-k",
            "harness_sees",  # one test is enough to see what the fixture does
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def without_browser(tmp_path: Path) -> dict[str, str]:
    """A machine with no Chromium: nothing on PATH but python, no Playwright browsers."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in (REQUIRE, "SMM_CHROMIUM")}
    env.update(
        PATH=str(bin_dir),
        PLAYWRIGHT_BROWSERS_PATH=str(tmp_path / "no-browsers"),
        PYTHONPATH=str(REPO),
    )
    return env


def test_no_browser_skips_saying_why(tmp_path: Path) -> None:
    result = browser_tests(without_browser(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped" in result.stdout and "failed" not in result.stdout
    assert "no Chromium to open the report in (looked for: chromium on PATH" in result.stdout
    assert "Playwright's own chromium" in result.stdout


def test_no_browser_fails_where_one_is_required(tmp_path: Path) -> None:
    result = browser_tests({**without_browser(tmp_path), REQUIRE: "1"})
    assert result.returncode == 1 and "1 error" in result.stdout  # failed in its fixture
    assert "no Chromium to open the report in" in result.stdout


def test_ci_requires_it() -> None:
    script = (REPO / ".ci" / "run").read_text()
    assert f"export {REQUIRE}=1" in script


def test_found_on_path_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.delenv("SMM_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    found, looked = find_chromium()
    assert found == fake and looked == ["chromium on PATH"]
    monkeypatch.setenv("SMM_CHROMIUM", str(fake))
    assert find_chromium()[0] == fake
