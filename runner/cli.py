"""The command line: the ``smm`` group, its global options, and the one place where
errors become exit codes (``main``).  Commands live in ``runner.commands``.

Heavy modules (httpx, jsonschema, rich, yaml) are imported only when a command runs, so
that ``smm --help`` starts fast.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from runner import __version__
from runner.commands.anywhere import global_options
from runner.commands.apply import apply
from runner.commands.importing import import_
from runner.commands.init import init
from runner.commands.options import examples
from runner.commands.panels import balance, services
from runner.commands.plan import plan
from runner.commands.reconcile import reconcile
from runner.commands.refresh import refresh
from runner.commands.repairs import forget, import_order, mv, retry
from runner.commands.report import report
from runner.commands.show import show
from runner.commands.sim import sim
from runner.commands.state import state
from runner.commands.status import status
from runner.commands.validate import validate
from runner.errors import EXIT_ERROR, exit_code
from runner.money import show_decimals
from runner.workflows.context import Context


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=examples("smm init          # a first project, on the simulated panel", "smm plan"),
)
@click.version_option(__version__, "--version", prog_name="smm", message="%(prog)s %(version)s")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Project file (default: smm.yaml here or in a parent folder).",
)
@click.option(
    "--state",
    metavar="PATH|URL",
    help="Where the state lives: a file path or a postgresql:// URL (default: SMM_STATE, "
    "else state: in smm.yaml, else .smm/state.db).",
)
@click.option("--no-color", is_flag=True, help="No colour (also: NO_COLOR=1).")
@click.option("-v", "--verbose", count=True, help="Log requests (-vv: more). Never logs keys.")
@click.pass_context
def cli(
    ctx: click.Context, config: Path | None, state: str | None, no_color: bool, verbose: int
) -> None:
    """smm: declarative campaigns for SMM panels.

    Describe orders in YAML, check them with `validate`, review `plan`, and `apply`
    them: every order is placed at most once, whatever happens.
    """
    from runner.render.console import set_no_color, setup_logging

    set_no_color(no_color)
    setup_logging(verbose)
    show_decimals(None)  # until the project says how its panels round money
    ctx.obj = Context(config=config, state=state, verbose=verbose)


for command in (
    init,
    validate,
    plan,
    show,
    apply,
    reconcile,
    refresh,
    status,
    report,
    services,
    balance,
    state,
    sim,
    import_,
):
    cli.add_command(command)
for repair in (import_order, retry, forget, mv):  # smm state import|retry|forget|mv
    state.add_command(repair)
global_options(cli)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code.  The one place errors become exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="smm", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        print("Aborted.", file=sys.stderr)
        return EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR  # usage errors too: exit 2 is reserved for "plan has changes"
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        return exit_code(exc)
    return int(result) if isinstance(result, int) else 0


def entry() -> None:
    """The ``smm`` program (console script and ``python -m runner``)."""
    # A run allocates many objects (YAML nodes, plan values, records) and few cycles; at
    # the default threshold (700) the collector runs some 200 times over a growing heap,
    # ~0.1 s for 1,000 orders.
    gc.set_threshold(50_000, 20, 20)
    code = main()
    # The heap is about to go as a whole: no last collections over it on the way out.
    gc.freeze()
    sys.exit(code)
