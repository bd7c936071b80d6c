"""A real pseudo-terminal for tests: run ``smm`` as a person does, at a given size, and
read the screen's bytes (standard library only: ``pty``, ``termios``)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

# Cursor moves, erases, colours, private modes: what a terminal obeys but never shows.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")


class Terminal:
    """``smm ARGS`` in a pty of ``columns`` x ``rows``: the process's controlling terminal,
    so Ctrl-C typed into it is a SIGINT from the terminal, as for a person."""

    def __init__(
        self,
        args: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        columns: int = 80,
        rows: int = 40,
    ) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes smm
            try:
                os.chdir(cwd)
                os.execve(sys.executable, [sys.executable, "-m", "runner", *args], dict(env))
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.data = b""
        self.code: int | None = None

    def read(self, timeout: float = 0.1) -> bool:
        """Read what is there within ``timeout``; False once the terminal is closed."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.data += chunk
        return bool(chunk)

    def expect(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text:
            if time.monotonic() > deadline or not self.read():
                raise AssertionError(f"{text!r} never appeared on the screen:\n{self.text}")

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self, timeout: float = 60.0) -> int:
        """Read to the end; the exit code (a signal's death is 128 + its number)."""
        deadline = time.monotonic() + timeout
        while self.read():
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"still running after {timeout} s:\n{self.text}")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.code = os.waitstatus_to_exitcode(status)
        return self.code if self.code >= 0 else 128 - self.code

    @property
    def raw(self) -> str:
        return self.data.decode("utf-8", "replace")

    @property
    def text(self) -> str:
        """What was written, less the control sequences (lines end in ``\\n``)."""
        return _CONTROL.sub("", self.raw).replace("\r\n", "\n")

    @property
    def lines(self) -> list[str]:
        """The lines a person reads: a line redrawn in place (``\\r``) shows its last form."""
        return [line.rsplit("\r", 1)[-1] for line in self.text.split("\n")]
