"""``smm report``'s output: the self-contained HTML page (``page``), and the spend table
and what needs a person as Markdown (``markdown``, for a CI job summary) or JSON."""

from __future__ import annotations

from runner.render.report.page import page
from runner.render.report.summary import as_json, markdown, text

__all__ = ["as_json", "markdown", "page", "text"]
