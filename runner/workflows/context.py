"""What every workflow gets: the global options, and the project loaded once, lazily."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.panel.client import PanelClient
    from runner.project import Project


@dataclass
class Context:
    """The global options of one smm run (``--config``, ``--state``, ``-v``)."""

    config: Path | None = None
    state: Path | None = None
    verbose: int = 0
    _project: Project | None = field(default=None, repr=False)

    @property
    def project(self) -> Project:
        if self._project is None:
            from runner import project

            loaded = project.load(self.config)
            if self.state is not None:
                loaded = replace(loaded, state_path=self.state.resolve())
            self._project = loaded
        return self._project

    @property
    def state_path(self) -> Path:
        return self.project.state_path

    def client(self, panel_name: str) -> PanelClient:
        """A client of the named panel (real over HTTPS, or the in-process simulator)."""
        from runner.workflows.connect import open_client

        return open_client(self.project, self.project.panel(panel_name))
