"""Documentation that is generated or executable stays true."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from runner.config import reference
from tests.conftest import REPO, Runner


def test_reference_is_up_to_date() -> None:
    committed = (REPO / "docs" / "reference.md").read_text()
    assert committed == reference.render(), (
        "docs/reference.md is stale: run `python -m runner.config.reference > docs/reference.md`"
    )


def test_every_campaign_field_is_documented() -> None:
    text = reference.render()
    from runner.config.schema import schema

    for name in schema("campaign")["$defs"]["fields"]["properties"]:
        assert f"| `{name}` |" in text


def test_pre_commit_hook_runs_validate() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "smm-validate" and hook["language"] == "python"
    entry = hook["entry"].split()
    files = [
        str(REPO / "campaigns" / "demo.yaml"),
        str(REPO / "tests" / "fixtures" / "broken" / "empty.yaml"),
    ]
    ok = subprocess.run(
        [sys.executable, "-m", "runner", *entry[1:], files[0]],
        capture_output=True,
        text=True,
        check=False,
    )
    bad = subprocess.run(
        [sys.executable, "-m", "runner", *entry[1:], *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert entry[0] == "smm" and ok.returncode == 0 and bad.returncode == 1
    assert "empty.yaml:1:1: the file is empty" in bad.stdout


def test_shell_completion_scripts() -> None:
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete")):
        proc = subprocess.run(
            [sys.executable, "-c", "from runner.cli import entry; entry()"],
            env={**os.environ, "_SMM_COMPLETE": f"{shell}_source"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0 and marker in proc.stdout, (shell, proc.stderr)


def test_the_tour_shows_what_smm_prints(run: Runner) -> None:
    """The README's tour quotes real output: every quoted line that carries a number is
    what the commands print on a fresh start (order ids aside)."""
    readme = (REPO / "README.md").read_text()
    tour = readme[readme.index("## A five-minute tour") : readme.index("**Without a terminal**")]
    shutil.copytree(REPO / "campaigns", "campaigns")
    Path("smm.yaml").write_text("panels:\n  demo:\n    url: sim://demo?speed=6000\n")
    seen = [
        run("balance", "demo").out,
        run("validate").out,
        run("--no-color", "plan", "campaigns/demo.yaml").out,
        run("apply", "campaigns/demo.yaml", "--auto-approve").out,
        run("status", "--watch", "--interval", "0.1").out,
        run("apply", "campaigns/demo.yaml", "--auto-approve").out,
    ]

    def same(line: str) -> str:
        """A line with its run-dependent ids (orders, refills, ages) made alike."""
        line = re.sub(r"\b20\d{3}\b", "ID", line)
        line = re.sub(r"\(refill \d+\)", "(refill ID)", line)
        return re.sub(r"\b\d+s$", "AGE", line.strip())

    printed = {same(line) for out in seen for line in out.splitlines()}
    lines = tour.splitlines()
    quoted = [
        line
        for line in lines
        if re.search(r"\d", line)
        and not line.startswith(("smm ", "$ "))
        and "order ids differ" not in line
    ]
    # the comments that quote output: `smm balance demo   # demo: 250.00 USD`
    comments = [
        line.split("  # ")[1] for line in lines if line.startswith("smm ") and "  # " in line
    ]
    quoted += [c for c in comments if c.startswith(("demo: ", "Valid: "))]
    assert len(quoted) >= 15
    missing = [line for line in quoted if same(line) not in printed]
    assert not missing, missing
