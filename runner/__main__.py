"""``python -m runner`` is ``smm``."""

from runner.cli import entry

entry()
