"""What every workflow gets: the global options, and the project loaded once, lazily."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from runner.money import show_decimals

if TYPE_CHECKING:
    from runner.config.project import Project
    from runner.panel.client import PanelClient
    from runner.state.location import StateLocation


@dataclass
class Context:
    """The global options of one smm run (``--config``, ``--state``, ``-v``)."""

    config: Path | None = None
    state: str | None = None  # --state: a path or a postgresql:// URL
    verbose: int = 0
    _project: Project | None = field(default=None, repr=False)

    @property
    def project(self) -> Project:
        if self._project is None:
            from runner.config import project

            self._project = project.load(self.config)
            show_decimals(self._project.money_decimals)  # money as these panels round it
        return self._project

    @property
    def state_location(self) -> StateLocation:
        """``--state``, else ``SMM_STATE``, else ``state:`` in smm.yaml (else the default
        file); paths are relative to the working folder on the command line and in the
        environment, to the project file's folder in the file."""
        from runner.state.location import parse

        if self.state:
            return parse(self.state, Path.cwd())
        if os.environ.get("SMM_STATE"):
            return parse(os.environ["SMM_STATE"], Path.cwd())
        return parse(self.project.state, self.project.root)

    def client(self, panel_name: str) -> PanelClient:
        """A client of the named panel (real over HTTPS, or the in-process simulator)."""
        from runner.workflows.connect import open_client

        return open_client(self.project, self.project.panel(panel_name))
