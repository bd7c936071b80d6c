"""Documentation that is generated or executable stays true."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from runner import reference
from tests.conftest import REPO


def test_reference_is_up_to_date() -> None:
    committed = (REPO / "docs" / "reference.md").read_text()
    assert committed == reference.render(), (
        "docs/reference.md is stale: run `python -m runner.reference > docs/reference.md`"
    )


def test_every_campaign_field_is_documented() -> None:
    text = reference.render()
    from runner.schema import schema

    for name in schema("campaign")["$defs"]["fields"]["properties"]:
        assert f"| `{name}` |" in text


def test_pre_commit_hook_runs_validate() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "smm-validate" and hook["language"] == "python"
    entry = hook["entry"].split()
    files = [str(REPO / "campaigns" / "demo.yaml"), str(REPO / "tests" / "broken" / "empty.yaml")]
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
