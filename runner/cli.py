"""The command line: parses, calls, maps errors to exit codes.  Nothing else.

Heavy modules (httpx, jsonschema, rich) are imported inside commands so that
``smm --help`` starts fast.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from runner import __version__
from runner.errors import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, SmmError, report_bug

if TYPE_CHECKING:
    from runner.panel.client import PanelClient
    from runner.project import Project

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("text", "json", "markdown")


@dataclass
class Env:
    """What every command gets: the global options, and the project loaded once, lazily."""

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
                from dataclasses import replace

                loaded = replace(loaded, state_path=self.state.resolve())
            self._project = loaded
        return self._project

    def client(self, panel_name: str) -> PanelClient:
        from runner.panel.connect import open_client

        return open_client(self.project, self.project.panel(panel_name))


pass_env = click.make_pass_decorator(Env)


def format_option(formats: Sequence[str] = FORMATS) -> Callable[[F], F]:
    """``--format`` and its short form ``--json``, shared by every command that prints data."""

    def decorate(func: F) -> F:
        func = click.option("--json", "as_json", is_flag=True, help="Short for --format json.")(
            func
        )
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(formats)),
            default="text",
            show_default=True,
            help="Output format.",
        )(func)

    return decorate


def chosen_format(fmt: str, as_json: bool) -> str:
    return "json" if as_json else fmt


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="smm", message="%(prog)s %(version)s")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Project file (default: smm.yaml here or in a parent folder).",
)
@click.option(
    "--state",
    type=click.Path(path_type=Path, dir_okay=False),
    help="State store path (default: from smm.yaml, else .smm/state.db).",
)
@click.option("--no-color", is_flag=True, help="No colour (also: NO_COLOR=1).")
@click.option("-v", "--verbose", count=True, help="Log requests (-vv: more). Never logs keys.")
@click.pass_context
def cli(
    ctx: click.Context, config: Path | None, state: Path | None, no_color: bool, verbose: int
) -> None:
    """smm: declarative campaigns for SMM panels.

    Describe orders in YAML, check them with `validate`, review `plan`, and `apply`
    them: every order is placed at most once, whatever happens.
    """
    from runner.console import set_no_color, setup_logging

    set_no_color(no_color)
    setup_logging(verbose)
    ctx.obj = Env(config=config, state=state, verbose=verbose)


# --- campaigns ----------------------------------------------------------------------

paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))


@cli.command()
@paths_argument
@format_option(("text", "json"))
def validate(paths: tuple[Path, ...], fmt: str, as_json: bool) -> int:
    """Check campaign files (default: campaigns/) offline; errors as file:line:col."""
    from runner.commands import validate as command

    return command.run(paths, chosen_format(fmt, as_json))


@cli.command()
@paths_argument
@click.option(
    "-o",
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Save the plan (JSON) for `smm apply PLANFILE`.",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when the plan is valid and has changes."
)
@click.option("--no-refresh", is_flag=True, help="Use recorded statuses; ask panels less.")
@click.option("--refresh-services", is_flag=True, help="Ignore the services cache.")
@format_option()
@pass_env
def plan(
    env: Env,
    paths: tuple[Path, ...],
    out_file: Path | None,
    detailed_exitcode: bool,
    no_refresh: bool,
    refresh_services: bool,
    fmt: str,
    as_json: bool,
) -> int:
    """Show what would be ordered, what it costs, and whether it is allowed. Read-only."""
    from runner.commands import plan as command

    return command.run(
        env,
        paths,
        out_file,
        detailed_exitcode,
        no_refresh,
        refresh_services,
        chosen_format(fmt, as_json),
    )


@cli.command()
@paths_argument
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--parallelism",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Orders placed at once (each panel's rate_limit still applies).",
)
@click.option(
    "--lock-timeout",
    default=0.0,
    type=click.FloatRange(0),
    help="Seconds to wait for another apply to finish (default: fail at once).",
)
@format_option(("text", "json"))
@pass_env
def apply(
    env: Env,
    paths: tuple[Path, ...],
    auto_approve: bool,
    parallelism: int,
    lock_timeout: float,
    fmt: str,
    as_json: bool,
) -> int:
    """Place the planned orders, each at most once (PATHS, or a saved PLANFILE)."""
    from runner.commands import apply as command

    return command.run(
        env, paths, auto_approve, parallelism, lock_timeout, chosen_format(fmt, as_json)
    )


@cli.command()
@paths_argument
@format_option(("text", "json"))
@click.option(
    "--lock-timeout",
    default=0.0,
    type=click.FloatRange(0),
    help="Seconds to wait for a running apply.",
)
@pass_env
def refresh(env: Env, paths: tuple[Path, ...], fmt: str, as_json: bool, lock_timeout: float) -> int:
    """Record the current status of every unfinished order and open refill."""
    from runner.commands import refresh as command

    return command.run(env, paths, chosen_format(fmt, as_json), lock_timeout)


@cli.command()
@paths_argument
@click.option("--refresh", "do_refresh", is_flag=True, help="Ask the panels first.")
@click.option(
    "--watch", is_flag=True, help="Refresh and redraw until every order is finished (Ctrl-C stops)."
)
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between refreshes with --watch.",
)
@click.option(
    "--lock-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds to wait for a running apply when refreshing.",
)
@format_option()
@pass_env
def status(
    env: Env,
    paths: tuple[Path, ...],
    do_refresh: bool,
    watch: bool,
    interval: float,
    lock_timeout: float,
    fmt: str,
    as_json: bool,
) -> int:
    """Per order: status, delivered/ordered, charge, refills; per campaign: spend vs budget."""
    from runner.commands import status as command

    return command.run(
        env, paths, do_refresh, watch, interval, chosen_format(fmt, as_json), lock_timeout
    )


# --- panels -------------------------------------------------------------------------


@cli.command()
@click.argument("panel")
@click.option("--search", help="Only services whose name or category contains TEXT.")
@click.option("--type", "type_", help="Only services of this type (e.g. default, poll).")
@format_option(("text", "json"))
@pass_env
def services(
    env: Env, panel: str, search: str | None, type_: str | None, fmt: str, as_json: bool
) -> None:
    """Browse PANEL's catalog to find service ids."""
    from runner.commands import panels

    panels.services(env, panel, search, type_, chosen_format(fmt, as_json))


@cli.command()
@click.argument("panel")
@format_option(("text", "json"))
@pass_env
def balance(env: Env, panel: str, fmt: str, as_json: bool) -> None:
    """Show PANEL's account balance."""
    from runner.commands import panels

    panels.balance(env, panel, chosen_format(fmt, as_json))


# --- state ------------------------------------------------------------------------


@cli.group()
def state() -> None:
    """Inspect and repair the state (what smm knows about every order)."""


@state.command("list")
@format_option(("text", "json"))
@pass_env
def state_list(env: Env, fmt: str, as_json: bool) -> int:
    """Every recorded address with its phase, panel order id and last status."""
    from runner.commands import statecmd

    return statecmd.list_(env, chosen_format(fmt, as_json))


@state.command("show")
@click.argument("address")
@pass_env
def state_show(env: Env, address: str) -> int:
    """Everything recorded about ADDRESS (campaign/order), with its history, as JSON."""
    from runner.commands import statecmd

    return statecmd.show(env, address)


@state.command("export")
@pass_env
def state_export(env: Env) -> int:
    """The whole state as JSON."""
    from runner.commands import statecmd

    return statecmd.export(env)


yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
lock_option = click.option(
    "--lock-timeout",
    default=0.0,
    type=click.FloatRange(0),
    help="Seconds to wait for a running apply.",
)


@state.command("import")
@click.argument("address")
@click.argument("order_id", type=click.IntRange(1))
@click.option(
    "--campaigns",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path),
    default=("campaigns",),
    show_default=True,
    help="Where ADDRESS is defined.",
)
@yes_option
@lock_option
@pass_env
def state_import(
    env: Env, address: str, order_id: int, paths: tuple[Path, ...], yes: bool, lock_timeout: float
) -> int:
    """Record panel order ORDER_ID (checked with the panel) as ADDRESS's order."""
    from runner.commands import statecmd

    return statecmd.import_(env, address, order_id, paths, yes, lock_timeout)


@state.command("retry")
@click.argument("address")
@yes_option
@lock_option
@pass_env
def state_retry(env: Env, address: str, yes: bool, lock_timeout: float) -> int:
    """Declare an in-doubt ADDRESS as never placed, so the next apply places it."""
    from runner.commands import statecmd

    return statecmd.retry(env, address, yes, lock_timeout)


@state.command("forget")
@click.argument("address")
@yes_option
@lock_option
@pass_env
def state_forget(env: Env, address: str, yes: bool, lock_timeout: float) -> int:
    """Drop ADDRESS's record (the panel's order is not touched)."""
    from runner.commands import statecmd

    return statecmd.forget(env, address, yes, lock_timeout)


# --- the simulated panel ------------------------------------------------------------


@cli.group()
def sim() -> None:
    """The built-in simulated panel."""


@sim.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0: any free port).",
)
@click.option(
    "--latency-ms",
    default=0.0,
    type=click.FloatRange(0),
    help="Answer each request this long after it arrives (the simulated work included).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND=RATE",
    help="Inject faults: rate_limit, server_error, html, bad_json, drop_before, "
    "drop_after; RATE from 0 to 1. Repeatable.",
)
@click.option(
    "--fault-actions",
    default="",
    metavar="A,B",
    help="Apply --fault rates and --latency-ms only to these actions (e.g. add).",
)
@click.option(
    "--speed",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.0),
    help="How much faster than real time orders progress.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option(
    "--balance",
    "start_balance",
    default="250.00",
    show_default=True,
    help="Starting balance (USD).",
)
@click.option("--key", "keys", multiple=True, help="Accept only these API keys (default: any).")
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Keep the panel's data in this SQLite file (default: in memory).",
)
@click.option(
    "--partial-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Share of orders that end Partial.",
)
@click.option(
    "--quirks",
    is_flag=True,
    help="Answer with the variants some panels use (string ids, lower-case types, "
    "Cancelled, bare-string errors).",
)
def sim_serve(
    host: str,
    port: int,
    latency_ms: float,
    faults: tuple[str, ...],
    fault_actions: str,
    speed: float,
    seed: int,
    start_balance: str,
    keys: tuple[str, ...],
    data: Path | None,
    partial_rate: float,
    quirks: bool,
) -> None:
    """Serve the simulated panel over HTTP (POST /api/v2; GET /_sim/orders lists orders)."""
    from runner.commands import simulator

    simulator.serve(
        host=host,
        port=port,
        latency_ms=latency_ms,
        faults=faults,
        fault_actions=fault_actions,
        speed=speed,
        seed=seed,
        start_balance=start_balance,
        keys=keys,
        data=data,
        partial_rate=partial_rate,
        quirks=quirks,
    )


# --- entry point --------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code.  The one place errors become exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="smm", standalone_mode=False)
    except SmmError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        print("Aborted.", file=sys.stderr)
        return EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR  # usage errors too: exit 2 is reserved for "plan has changes"
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:
        report_bug(exc)
        return EXIT_BUG
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
