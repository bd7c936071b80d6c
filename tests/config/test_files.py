"""Anything in the campaign paths that is not a readable regular file is an error with its
path: a dangling symbolic link, a FIFO, a socket, /dev/zero linked in.  None is skipped
without a word, and none is ever opened (a FIFO blocks a reader, /dev/zero never ends)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result, Runner, followers, write_campaign

COMMANDS = [("validate",), ("plan",), ("apply", "--auto-approve"), ("refresh",), ("status",)]


def fifo(path: Path) -> str:
    os.mkfifo(path)
    return "not a regular file: a FIFO (named pipe)"


def dangling(path: Path) -> str:
    path.symlink_to(path.parent / "gone" / "away.yaml")
    return "a symbolic link to campaigns/gone/away.yaml, which does not exist"


def dev_zero(path: Path) -> str:
    path.symlink_to("/dev/zero")
    return "not a regular file: a character device"


def unix_socket(path: Path) -> str:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the file stays
    return "not a regular file: a socket"


MAKERS: dict[str, Callable[[Path], str]] = {
    "fifo": fifo,
    "dangling link": dangling,
    "/dev/zero": dev_zero,
    "socket": unix_socket,
}


def without_hanging(run: Runner, *args: str, fifo_path: Path | None = None) -> Result:
    """Run the command in a thread; if it is still running after a long while it is
    blocked on the FIFO: open the FIFO's other end to free it, then fail."""
    done = threading.Event()
    results: list[Result] = []

    def target() -> None:
        results.append(run(*args))
        done.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    if not done.wait(60) and fifo_path is not None:
        with open(fifo_path, "wb"):
            pass  # the reader sees the end of the file and goes on
        thread.join(10)
        pytest.fail(f"smm {' '.join(args)} opened the FIFO {fifo_path}")
    thread.join()
    return results[0]


@pytest.mark.parametrize("kind", sorted(MAKERS))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_what_is_not_a_regular_file_is_an_error_with_its_path(
    run: Runner, kind: str, command: tuple[str, ...]
) -> None:
    Path("smm.yaml").write_text("panels:\n  demo:\n    url: sim://demo\n")
    write_campaign("c", followers(1))
    path = Path("campaigns/odd.yaml")
    said = MAKERS[kind](path)
    result = without_hanging(run, *command, fifo_path=path if kind == "fifo" else None)
    assert result.code == 1, (result.out, result.err)
    assert f"campaigns/odd.yaml: {said}" in result.out + result.err
    assert "internal error" not in result.err
    assert not Path(".smm/state.db").exists()  # nothing was done


def test_a_special_file_named_on_the_command_line_is_an_error(run: Runner) -> None:
    Path("campaigns").mkdir()
    os.mkfifo("campaigns/pipe.yaml")
    result = without_hanging(
        run, "validate", "campaigns/pipe.yaml", fifo_path=Path("campaigns/pipe.yaml")
    )
    assert result.code == 1
    assert "campaigns/pipe.yaml: not a regular file: a FIFO (named pipe)" in result.err


def test_every_odd_file_is_named_at_once(run: Runner) -> None:
    write_campaign("c", followers(1))
    fifo(Path("campaigns/a.yaml"))
    dangling(Path("campaigns/b.yml"))
    result = without_hanging(run, "validate", fifo_path=Path("campaigns/a.yaml"))
    assert result.code == 1
    assert "campaigns/a.yaml:" in result.err and "campaigns/b.yml:" in result.err


def test_links_to_files_and_folders_named_like_files_still_work(run: Runner) -> None:
    Path("smm.yaml").write_text("panels:\n  demo:\n    url: sim://demo\n")
    real = write_campaign("c", followers(1))
    elsewhere = Path("elsewhere.yaml")
    real.rename(elsewhere)
    Path("campaigns/c.yaml").symlink_to(elsewhere.resolve())
    Path("campaigns/nested.yaml").mkdir()  # a folder: searched, not read
    result = run("validate")
    assert result.code == 0, result.out + result.err
    assert "Valid: 1 campaign, 1 order in 1 file." in result.out, result.out
