"""The ``ruralsim`` command (also ``python -m sim``): one module per subcommand.

Each subcommand's module has ``HELP``, ``add_arguments(parser)`` and ``run(args)``,
a thin call into the library. Only the standard library is imported at the top of
these modules: the console script imports them before :func:`main` runs, and a
Ctrl-C during a heavy import there would end in a traceback. Everything else is
imported inside ``run``, where an interrupt becomes exit status 130.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from sim.cli import check, compare, kpis, region, report, run, sweep, validate, warmup
from sim.cli.memory import modules_loading, tune_memory
from sim.cli.options import EXIT_BAD_INPUT, EXIT_INTERRUPTED, Parser, UsageError

COMMANDS = {
    "run": run,
    "validate": validate,
    "compare": compare,
    "sweep": sweep,
    "region": region,
    "warmup": warmup,
    "check": check,
    "report": report,
    "kpis": kpis,
}
"""Subcommand name -> its module, in the order ``ruralsim --help`` lists them."""


def _version() -> str:
    # From the installed metadata, as the results manifests record it.
    from importlib import metadata

    try:
        return metadata.version("ruralsim")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = Parser(
        prog="ruralsim",
        description="Simulate a county's rural parcel network and compare delivery models.",
    )
    parser.add_argument("--version", action="version", version=f"ruralsim {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, module in COMMANDS.items():
        module.add_arguments(commands.add_parser(name, help=module.HELP))
    return parser


def bad_input() -> tuple[type[Exception], ...]:
    """The errors that mean bad input (exit 2); imported here, not at the top."""
    from sim.checking.errors import CheckError
    from sim.experiments.errors import ExperimentError
    from sim.results import OutputError
    from sim.scenario import ScenarioError

    return ScenarioError, ExperimentError, CheckError, OutputError


def _os_error(exc: OSError) -> str:
    """A file the system refused (read-only, disk full ...): the path and why."""
    reason = exc.strerror or str(exc)
    return reason if exc.filename is None else f"{exc.filename}: {reason}"


@contextlib.contextmanager
def _plan_cache(use: bool):
    """``--no-plan-cache``: set for the command (worker processes inherit it), then undone."""
    name = "RURALSIM_NO_PLAN_CACHE"  # sim.engine.plan_cache.NO_CACHE_ENV, not imported here
    before = os.environ.get(name)
    if not use:
        os.environ[name] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _start_workers(args) -> None:
    """With ``--jobs N`` on this machine, start the workers' fork server at once.

    It imports the package for the workers while this process loads and checks the
    scenarios, instead of after (see :func:`sim.experiments.executors.start_fork_server`).
    """
    if (getattr(args, "jobs", None) or 1) > 1 and getattr(args, "dask", None) is None:
        from sim.experiments.executors import start_fork_server

        start_fork_server()


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    use_plan_cache = not getattr(args, "no_plan_cache", False)
    with _plan_cache(use_plan_cache):  # the fork server's workers inherit it too
        _start_workers(args)
    with modules_loading():
        errors = bad_input()  # imports what every command needs
    try:
        with _plan_cache(use_plan_cache):
            return COMMANDS[args.command].run(args)
    except UsageError as exc:
        print(f"ruralsim {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except errors as exc:
        print(f"ruralsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"ruralsim {args.command}: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    tune_memory()  # before numpy loads (docs/performance.md, "Measured")
    try:
        return _main(argv)
    except KeyboardInterrupt:  # also while the modules above are still being imported
        print("ruralsim: interrupted; no partial results were kept", file=sys.stderr)
        return EXIT_INTERRUPTED
