"""The wheel carries the schemas, so `pip install .` then `smm validate` works anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_wheel_ships_schemas_and_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("smm_runner-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "smm = runner.cli:entry" in archive.read(entry_points).decode()
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
