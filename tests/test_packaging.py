"""The wheel carries the schemas, so `pip install .` then `smm validate` works anywhere;
it builds from a fresh clone without warnings, and the Makefile installs with the pins."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def fresh_clone(into: Path) -> Path:
    """The tracked files only, as a fresh clone has them (no build/, no egg-info, no
    .venv: a stale build folder would hide a package missing from the configuration)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def test_wheel_ships_schemas_and_entry_point(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path / "clone")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(clone)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    # setuptools' deprecations (the license as a table, ...) are gone
    said = proc.stdout + proc.stderr
    assert "BuildBackendWarning" not in said and "deprecated" not in said.lower(), said[-3000:]
    (wheel,) = tmp_path.glob("smm_runner-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "smm = runner.cli:entry" in archive.read(entry_points).decode()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    assert {"runner/schemas/campaign.schema.json", "runner/schemas/project.schema.json"} <= names
    # Every module of the source tree is in the wheel (a package left out of the build
    # would import in the tests and fail for every user who pip-installs smm).
    sources = {str(path.relative_to(REPO)) for path in (REPO / "runner").rglob("*.py")}
    assert sources <= names, sorted(sources - names)
    assert {"runner/render/report/page.js", "runner/render/report/page.css"} <= names
    assert "runner/state/postgres.py" in names
    metadata = archive_text(wheel, "METADATA")
    assert 'Requires-Dist: psycopg[binary]>=3.1; extra == "postgres"' in metadata


def archive_text(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(name).decode()


def test_make_installs_with_the_pins(tmp_path: Path) -> None:
    """`make demo` installs smm (and the report extra the demo ends with), `make test` the
    dev tools too, each with its own stamp; both pass the constraints to pip."""
    clone = fresh_clone(tmp_path / "clone")

    def dry(target: str) -> str:
        proc = subprocess.run(
            ["make", "-n", target], cwd=clone, capture_output=True, text=True, check=True
        )
        return proc.stdout

    demo, test = dry("demo"), dry("test")
    pins = "-c requirements/constraints.txt"
    assert f"{pins} -e '.[report]'" in demo and ".[dev]" not in demo
    assert f"{pins} -e '.[dev]'" in test
    assert "touch .venv/.run-stamp" in demo and "touch .venv/.dev-stamp" in test
    constraints = (clone / "requirements" / "constraints.txt").read_text()
    pinned = {line.split("==")[0] for line in constraints.splitlines() if "==" in line}
    assert {"pyyaml", "jsonschema", "httpx", "click", "rich", "pytest", "mypy"} <= pinned
    # pyproject.toml keeps ranges: `pip install .` elsewhere resolves freely
    assert "rich>=13.0" in (clone / "pyproject.toml").read_text()
