"""``smm reconcile``: settle in-doubt orders from the panel's evidence."""

from __future__ import annotations

import json
from pathlib import Path

import click

from runner.commands.options import (
    examples,
    format_option,
    lock_timeout_option,
    pass_context,
    paths_argument,
)
from runner.commands.output import emit
from runner.workflows.context import Context


@click.command(
    epilog=examples(
        "smm reconcile --dry-run     # what the panel's evidence proves; nothing recorded",
        "smm reconcile campaigns/demo.yaml",
    )
)
@paths_argument
@click.option("--dry-run", is_flag=True, help="Say what the evidence proves; record nothing.")
@lock_timeout_option
@format_option
@pass_context
def reconcile(
    ctx: Context, paths: tuple[Path, ...], dry_run: bool, lock_timeout: float, output: str
) -> int:
    """Find lost orders on the panel from the evidence: import them, or prove them absent."""
    from runner.errors import EXIT_ERROR, EXIT_OK
    from runner.execution.reconciler import Verdict
    from runner.printable import clean
    from runner.workflows import reconcile as workflow

    found = workflow.run(ctx, paths, dry_run=dry_run, lock_timeout=lock_timeout)

    def text() -> list[str]:
        if not found.decisions and not found.errors:
            return ["No orders in doubt."]
        return [clean(line) for line in found.summary()] + [
            f"{len(found.of(Verdict.IMPORT))} imported, {len(found.of(Verdict.ABSENT))} proven "
            f"absent, {len(found.of(Verdict.UNDECIDED))} still in doubt; {found.calls} status "
            f"call{'' if found.calls == 1 else 's'}."
            + (" (dry run: nothing recorded)" if dry_run else "")
        ]

    emit(output, text=text, json=lambda: json.dumps(found.to_json(), indent=2))
    # A pipeline must not pass over an order that may or may not exist.
    return EXIT_ERROR if found.of(Verdict.UNDECIDED) or found.errors else EXIT_OK
