"""A read-only state folder (a read-only checkout, a CI cache, another user's project):
the commands that only read (plan, status, report, state list/show/export) work on it;
the writers (apply, refresh, reconcile, state forget...) fail in one line, exit 1, never
exit 3, and the state is untouched."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import Runner, Sim, followers, http_project, write_campaign


def _chattr(flag: str, paths: list[Path]) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    done = subprocess.run([chattr, flag, *map(str, paths)], capture_output=True, check=False)
    return done.returncode == 0


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` and everything in it read-only, for this process too.  Permissions bind
    any user but root; root is held by the immutable attribute (undone afterwards)."""
    paths = [folder, *sorted(folder.rglob("*"))]
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        p.chmod(stat.S_IMODE(modes[p]) & ~0o222)
    immutable = os.geteuid() == 0
    if immutable and not _chattr("+i", paths):
        for p in paths:
            p.chmod(stat.S_IMODE(modes[p]))
        pytest.skip("running as root on a file system without chattr +i: cannot deny root")
    try:
        yield
    finally:
        if immutable:
            _chattr("-i", paths)
        for p in paths:
            p.chmod(stat.S_IMODE(modes[p]))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


READERS = [
    ("plan",),
    ("plan", "--no-refresh"),
    ("status",),
    ("status", "--json"),
    ("state", "list"),
    ("state", "show", "c/o0"),
    ("state", "export"),
    ("report", "-o", "../report.html"),
    ("report", "--format", "json", "-o", "../report2.html"),
]
WRITERS = [
    ("apply", "--auto-approve"),
    ("refresh",),
    ("reconcile",),
    ("state", "forget", "c/o0", "--yes"),
    ("state", "retry", "c/o1", "--yes"),
]


@pytest.fixture
def applied(run: Runner, sim: Sim, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A project whose state holds two placed orders, with a third one still to create;
    the state folder lives under ``tmp_path/work``."""
    http_project(sim, monkeypatch)
    write_campaign("c", followers(2))
    assert run("apply", "--auto-approve").code == 0
    write_campaign("c", followers(3))
    # Reads by a clean smm leave no journal behind: the file alone is the whole state.
    db = sqlite3.connect(".smm/state.db")
    assert db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    db.close()
    return Path(".smm").resolve()


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_reader_works_on_a_read_only_state(
    run: Runner, applied: Path, command: tuple[str, ...]
) -> None:
    before = _digest(applied)
    with read_only(applied):
        result = run(*command)
    assert result.code in (0, 2), (command, result.out + result.err)
    assert "internal error" not in result.err
    assert _digest(applied) == before
    if command == ("state", "export"):
        assert {o["address"] for o in json.loads(result.out)["orders"]} == {"c/o0", "c/o1"}


@pytest.mark.parametrize("command", WRITERS, ids=" ".join)
def test_a_writer_fails_in_one_line(
    run: Runner, applied: Path, sim: Sim, command: tuple[str, ...]
) -> None:
    before = _digest(applied)
    orders = len(sim.orders())
    with read_only(applied):
        result = run(*command)
    assert result.code == 1, (command, result.out + result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "not writable" in lines[0], result.err
    assert _digest(applied) == before and len(sim.orders()) == orders


def test_a_journal_not_folded_in_is_said_not_read_stale(run: Runner, applied: Path) -> None:
    """Writes still in the WAL journal (a writer killed before folding them in) cannot be
    read from a read-only folder: an error that says so, not an answer from an older
    state."""
    keep = sqlite3.connect(".smm/state.db", isolation_level=None)
    keep.execute("PRAGMA wal_autocheckpoint = 0")
    keep.execute("INSERT INTO meta VALUES ('written-after', 'x')")
    # what a killed writer leaves: the file and a journal with content (no shared memory)
    saved = {p.name: p.read_bytes() for p in applied.glob("state.db*") if "shm" not in p.name}
    keep.close()
    for name, data in saved.items():
        (applied / name).write_bytes(data)
    assert Path(".smm/state.db-wal").stat().st_size > 0
    (applied / "state.db-shm").unlink(missing_ok=True)
    with read_only(applied):
        result = run("status")
    assert result.code == 1
    assert "holds writes not yet in the file" in result.err and "internal error" not in result.err


def test_the_simulator_in_a_read_only_folder_is_one_line(run: Runner) -> None:
    """sim:// keeps its data under .smm/sim and writes as it answers: a read-only folder
    is an error naming that place (exit 1), never a crash."""
    Path("smm.yaml").write_text("panels:\n  demo:\n    url: sim://demo\n")
    write_campaign("c", followers(1))
    assert run("apply", "--auto-approve").code == 0
    folder = Path(".smm").resolve()
    (folder / "sim" / "demo.db").unlink()  # the simulator must make its data afresh
    for extra in folder.glob("sim/demo.db-*"):
        extra.unlink()
    with read_only(folder):
        result = run("balance", "demo")
    assert result.code == 1, result.out + result.err
    assert "the simulated panel cannot keep its data in" in result.err
    assert "internal error" not in result.err
