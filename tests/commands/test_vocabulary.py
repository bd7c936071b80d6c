"""One vocabulary across commands: the same option spelled the same way everywhere (the
old spellings kept as hidden aliases), the same --format choices, global options anywhere
on the line, and every --help ending with real examples."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from runner.cli import cli
from tests.conftest import Runner, Sim, followers, http_project, typed, write_campaign


def commands(
    group: click.Group = cli, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


EVERY = list(commands())
LEAVES = [(path, c) for path, c in EVERY if not isinstance(c, click.Group)]


def options(command: click.Command) -> dict[str, click.Option]:
    return {name: p for p in command.params if isinstance(p, click.Option) for name in p.opts}


@pytest.fixture
def project(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> Sim:
    http_project(sim, monkeypatch)
    return sim


@pytest.mark.parametrize("path", [(), *(p for p, _ in EVERY)], ids=lambda p: " ".join(p) or "smm")
def test_every_help_ends_with_real_examples(path: tuple[str, ...], run: Runner) -> None:
    """Each example is a command line smm parses: its command exists, its options too."""
    result = run(*path, "--help")
    assert result.code == 0
    text = result.out.rstrip()
    head, _, tail = text.rpartition("Examples:")
    assert head and tail.strip(), text
    for line in tail.strip().splitlines():
        example = line.split("#", 1)[0].split("&&")[-1].strip()
        words = shlex.split(example)
        assert words[0] == "smm", line
        assert run(*words[1:], "--help").code == 0, line  # every option in it exists


@pytest.mark.parametrize("path,command", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_one_spelling_for_each_shared_option(path: tuple[str, ...], command: click.Command) -> None:
    found = options(command)
    if "--format" in found:
        assert list(found["--format"].type.choices) == ["text", "json", "markdown"]  # type: ignore[attr-defined]
        assert "--json" in found
    if "--lock-timeout" in found:
        assert found["--lock-timeout"].default == 0
    if "--yes" in found or "-y" in found:
        assert "--auto-approve" in found and found["--yes"].hidden
    if "--output" in found:
        assert found["--output"].hidden and "--out" in found and "-o" in found
    paths = [p for p in command.params if p.name == "paths" and isinstance(p, click.Argument)]
    if paths:
        usage = command.collect_usage_pieces(click.Context(command))
        assert any("(default: campaigns/)" in piece for piece in usage), usage


def test_usage_lines_name_paths_default_and_planfile(run: Runner) -> None:
    assert "Usage: smm plan [OPTIONS] [PATHS (default: campaigns/)]..." in run("plan", "-h").out
    assert "[PLANFILE | PATHS (default: campaigns/)...]" in run("apply", "-h").out
    assert "Usage: smm show [OPTIONS] PLANFILE" in run("show", "-h").out


def test_data_commands_share_the_format_choices(run: Runner) -> None:
    printing = [path for path, command in LEAVES if "--format" in options(command)]
    for wanted in (("state", "show"), ("state", "export"), ("services",), ("balance",)):
        assert wanted in printing


def test_old_spellings_still_work(project: Sim, run: Runner) -> None:
    write_campaign("c", followers(1))
    assert typed("apply", "--yes").code == 0  # the hidden alias of --auto-approve
    assert typed("state", "retry", "c/o0", "-y").code == 1  # placed: nothing to retry
    out = typed("report", "--output", "r.html")
    assert out.code == 0 and Path("r.html").exists(), out.err
    assert typed("report", "-o", "s.html").code == 0 and Path("s.html").exists()
    assert typed("report", "--out", "t.html").code == 0 and Path("t.html").exists()
    assert "--yes" not in typed("state", "forget", "--help").out  # hidden


def test_verbose_and_global_options_anywhere_on_the_line(project: Sim) -> None:
    write_campaign("c", followers(1))
    before = typed("-v", "plan")
    after = typed("plan", "-v")
    assert before.code == after.code == 0
    assert "demo balance -> HTTP 200" in before.err and "demo balance -> HTTP 200" in after.err
    assert "sk_live" not in after.err
    assert typed("plan").err == ""  # without -v: no log
    assert "httpcore" in typed("plan", "-v", "-v").err  # counted across the line: -vv
    # --config and --state after the command name too
    Path("other").mkdir()
    moved = typed("plan", "--config", "smm.yaml", "--state", "other/state.db", "-o", "p.json")
    assert moved.code == 0, moved.err
    assert json.loads(Path("p.json").read_text())["state"]["lineage"]
    assert Path("other/state.db").exists()


def test_every_format_on_the_commands_that_gained_one(project: Sim) -> None:
    write_campaign("c", followers(2))
    applied = typed("apply", "--auto-approve", "--format", "markdown")
    assert applied.code == 0, applied.err
    assert applied.out.startswith("### smm plan")
    assert "- c/o0: placed, order " in applied.out
    assert "**Apply complete: 2 orders placed. Spent 0.18 USD.**" in applied.out
    listed = typed("state", "list", "--format", "markdown").out
    assert "**2 orders recorded (serial" in listed
    assert "| Address | Phase | Panel | Order |" in listed and "| c/o0 | placed | demo |" in listed
    shown = typed("state", "show", "c/o0").out
    assert shown.startswith("address         c/o0\ncampaign        c\n")
    assert "events: 2" in shown and "placed" in shown
    assert json.loads(typed("state", "show", "c/o0", "--format", "json").out)["address"] == "c/o0"
    assert json.loads(typed("state", "export").out)["orders"]  # JSON unless asked
    text = typed("state", "export", "--format", "text").out
    assert ": 2 orders, " in text and "The whole state, exactly: smm state export" in text
    balance = typed("balance", "demo", "--format", "markdown").out
    assert balance.strip() == "demo: 249.82 USD"
    services = typed("services", "demo", "--type", "poll", "--format", "markdown").out
    assert services.startswith("**demo: 1 service**") and "| ID | Service |" in services
