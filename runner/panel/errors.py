"""The panel client's error tree.

Every failure of a panel call is one of three things, and the difference decides whether
an order may be sent again::

    PanelError                 (an SmmError: one line, exit 1 when it reaches the CLI)
    ├── PanelRejected          the panel answered and said no: {"error": "..."}
    ├── NotSent                the request surely never reached the panel:
    │                          the connection was never made, or HTTP 429
    └── OutcomeUnknown         the request may have been processed: read/write timeout,
        │                      connection reset, 5xx, an HTML page, an unreadable body
        └── UnexpectedResponse valid JSON of the wrong shape

Messages never contain the API key: it travels only in the POST body, and bodies are
never quoted in messages.
"""

from __future__ import annotations

from runner.errors import SmmError


class PanelError(SmmError):
    """A panel call failed."""

    def __init__(self, panel: str, message: str) -> None:
        super().__init__(f"panel {panel}: {message}")
        self.panel = panel
        self.detail = message


class PanelRejected(PanelError):
    """The panel answered with ``{"error": ...}``: the request was processed and refused."""

    def __init__(self, panel: str, reason: str, http_status: int = 200) -> None:
        super().__init__(panel, reason)
        self.reason = reason
        self.http_status = http_status


class NotSent(PanelError):
    """The request surely never reached the panel (no connection, or HTTP 429)."""

    def __init__(self, panel: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(panel, message)
        self.retry_after = retry_after


class OutcomeUnknown(PanelError):
    """The request may or may not have been processed by the panel."""

    def __init__(self, panel: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(panel, message)
        self.retry_after = retry_after


class UnexpectedResponse(OutcomeUnknown):
    """The panel answered JSON that does not have the documented shape."""
