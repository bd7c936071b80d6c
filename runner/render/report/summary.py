"""The report in a few lines: where the page was written, the spend table and what needs
a person, as text, Markdown (a CI job summary) or JSON.

Markdown escapes every text from a file, the state or a panel, so none can add a link,
an image or HTML to a job summary.
"""

from __future__ import annotations

import json
import re

from runner.render.report.content import Report
from runner.render.words import amount, plural

# Inline markup only: the report never starts a line with a text it was given.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: object) -> str:
    """Text that Markdown shows as it is."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", escaped)


def code(text: str) -> str:
    """A code span, where nothing is markup; escaped text when it holds a backtick."""
    return md(text) if "`" in text or "\n" in text else f"`{text}`"


def markdown(report: Report, path: str) -> str:
    lines = [
        "### smm report",
        "",
        "| campaign | orders | charged by the panel | our estimate | spent | budget | left |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in report.campaigns:
        flag = " ⚠ over budget" if c.over else ""
        lines.append(
            f"| {md(c.campaign)} | {c.orders} | {amount(c.charged)} | {amount(c.estimated)} | "
            f"**{amount(c.spent)}** {md(c.currency)} | {amount(c.budget)} | "
            f"{amount(c.left)}{flag} |"
        )
    counts = ", ".join(f"{md(k)} {n}" for k, n in report.by_status.items()) or "none"
    lines += ["", f"Orders: {len(report.orders)} ({counts})."]
    if report.attention:
        lines += ["", f"**Needs a person** ({len(report.attention)}):", ""]
        for item in report.attention:
            commands = " or ".join(code(c) for c in item.commands)
            lines.append(
                f"- {code(item.address)}: {md(item.kind)}: {md(item.why)}. "
                + (f"{commands}. " if commands else "")
                + md(item.advice)
            )
    else:
        lines += ["", "Nothing needs a person."]
    dropped = [o for o in report.orders if o.drops]
    if dropped:
        lost = ", ".join(f"{md(o.address)} ({sum(d.lost for d in o.drops)})" for o in dropped)
        lines += ["", f"Dropped after completion: {lost}."]
    lines += ["", f"The full report with charts: {code(path)}", ""]
    return "\n".join(lines)


def text(report: Report, path: str, size: int, url: str) -> str:
    need = len(report.attention)
    return (
        f"Report written to {path} ({size / 1e6:.1f} MB): {plural(len(report.orders), 'order')} "
        f"in {plural(len(report.campaigns), 'campaign')}, "
        f"{need} need{'s' if need == 1 else ''} a person.\nOpen {url} in a browser."
    )


def as_json(report: Report, path: str, size: int) -> str:
    return json.dumps({"path": path, "bytes": size, **report.to_json()}, indent=2)
