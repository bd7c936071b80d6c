"""The layers of docs/architecture.md hold: every module imports alone, and modules stay
small enough to read (the import contracts themselves run in `make lint`)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "runner"


def modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__main__.py":  # runs the CLI when imported
            continue
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


def test_every_module_imports_alone() -> None:
    """A fresh interpreter per module: an import cycle or a missing import shows here even
    when another module, imported first, would have hidden it."""

    def load(name: str) -> tuple[str, int, str]:
        proc = subprocess.run(
            [sys.executable, "-c", f"import {name}"],
            capture_output=True,
            text=True,
            check=False,
            cwd=REPO,
        )
        return name, proc.returncode, proc.stderr[-500:]

    with ThreadPoolExecutor(max_workers=4) as pool:
        failed = [r for r in pool.map(load, modules()) if r[1] != 0]
    assert not failed, failed


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_modules_stay_small() -> None:
    too_long = {str(p.relative_to(REPO)): lines(p) for p in PACKAGE.rglob("*.py") if lines(p) > 400}
    assert not too_long, too_long


def test_functions_stay_readable() -> None:
    """No function over 80 lines: past that, it does more than one thing."""
    import ast

    too_long = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > 80:
                    too_long[f"{path.relative_to(REPO)}:{node.lineno} {node.name}"] = size
    assert not too_long, too_long


def test_the_top_level_keeps_entry_points_and_values() -> None:
    """Every other module lives in a package named for what it is for."""
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, top


def test_every_package_says_what_it_owns() -> None:
    import ast

    silent = [
        str(init.relative_to(REPO))
        for init in PACKAGE.rglob("__init__.py")
        if not ast.get_docstring(ast.parse(init.read_text()))
    ]
    assert not silent, silent


def test_commands_only_parse_call_and_render() -> None:
    """A command module past 150 lines is doing a workflow's or a renderer's job."""
    too_long = {p.name: lines(p) for p in (PACKAGE / "commands").glob("*.py") if lines(p) > 150}
    assert not too_long, too_long
