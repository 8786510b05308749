"""What the subcommands share: argument types, argument groups, exit statuses.

Only the standard library is imported at the top (see :mod:`sim.cli`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

EXIT_OK, EXIT_REGRESSED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
"""Exit statuses: success, a regression found by ``check``, bad input, interrupted."""


class UsageError(Exception):
    """Arguments that argparse alone cannot check (exit status 2)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors end in exit status 2."""

    def error(self, message: str):
        """Print the usage and the problem; exit 2."""
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed(text: str) -> int:
    """A root seed, 0 to 2**63-1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63-1, got {value}")
    return value


def replications(text: str) -> int | str:
    """A number of replications, or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of at least 1 or 'auto', got {text!r}"
        ) from None


def precision(text: str) -> float:
    """A relative precision in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number such as 0.05, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {text}")
    return value


def kpi(text: str) -> str:
    """The name of a KPI."""
    from sim.analysis.kpis import KPI_NAMES

    if text not in KPI_NAMES:
        raise argparse.ArgumentTypeError(f"unknown KPI {text!r} (known: {', '.join(KPI_NAMES)})")
    return text


def out_path(text: str) -> Path:
    """An output path the results rules allow (never ``.``, ``..`` or empty)."""
    from sim.results import OutputError, check_out_path

    try:
        return check_out_path(text)
    except OutputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_overrides(sub: argparse.ArgumentParser) -> None:
    """``--set PATH=VALUE`` (repeatable) and ``--no-plan-cache``: every command with scenarios."""
    sub.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a scenario field, e.g. --set hub.sorting.rate_per_h=4000 (repeatable)",
    )
    sub.add_argument(
        "--no-plan-cache",
        action="store_true",
        help="plan the routes afresh, neither reading nor writing the plans cached on disk "
        "(also: RURALSIM_NO_PLAN_CACHE=1)",
    )


def add_scenario(sub: argparse.ArgumentParser) -> None:
    """One scenario file and its overrides."""
    sub.add_argument("scenario", type=Path, help="YAML scenario file")
    add_overrides(sub)


def add_scenario_runs(sub: argparse.ArgumentParser, replications: int) -> None:
    """One scenario (with ``--set``), ``--replications N`` and ``--seed`` (run, warmup)."""
    add_scenario(sub)
    sub.add_argument("--replications", type=positive_int, default=replications, metavar="N")
    sub.add_argument("--seed", type=seed, default=None, help="root seed (default: scenario seed)")


def run_experiment(call, out: Path, quiet: bool) -> int:
    """Run ``call()`` (a compare or sweep writing to ``out``) and say what it found.

    Its report unless ``quiet``, then where the results are; a Ctrl-C says what was kept.
    """
    try:
        result = call()
    except KeyboardInterrupt:
        return interrupted(out)
    if not quiet:
        print(result.report())
        print()
    print(f"results written to {out}")
    return EXIT_OK


def add_execution(sub: argparse.ArgumentParser) -> None:
    """Where replications run (``--jobs``, ``--dask``) and ``--quiet``."""
    sub.add_argument(
        "--jobs",
        type=positive_int,
        default=None,
        metavar="N",
        help="run replications on N worker processes (with --dask local: N Dask workers)",
    )
    sub.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run replications on the Dask scheduler at ADDRESS, or 'local' to start one",
    )
    sub.add_argument("--quiet", action="store_true", help="no progress bar or tables")


def add_experiment(sub: argparse.ArgumentParser, least: int, default_out: str) -> None:
    """The options of ``compare`` and ``sweep``: replications, focus KPIs, seed, folder."""
    sub.add_argument(
        "--replications",
        type=replications,
        default=5,
        metavar="N|auto",
        help=f"replications per scenario (at least {least}; default 5), or 'auto': add "
        "batches of 5 until every --kpi is within --precision",
    )
    sub.add_argument(
        "--precision",
        type=precision,
        default=None,
        metavar="P",
        help="with --replications auto: largest relative 95%% CI half-width (default 0.05)",
    )
    sub.add_argument(
        "--max-replications",
        type=positive_int,
        default=50,
        metavar="N",
        help="with --replications auto: the cap (default 50)",
    )
    sub.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        type=kpi,
        default=None,
        metavar="NAME",
        help="a KPI to judge (verdicts, --replications auto); repeatable "
        "(default: the headline KPIs)",
    )
    sub.add_argument("--seed", type=seed, default=None, help="root seed for every scenario")
    sub.add_argument(
        "--out",
        type=out_path,
        default=None,
        metavar="DIR",
        help=f"results folder: new, empty or one ruralsim wrote ({default_out})",
    )
    sub.add_argument(
        "--resume",
        action="store_true",
        help="reuse the finished replications in --out (same scenarios and seed only)",
    )
    add_execution(sub)


def practical(text: str) -> str:
    """A ``--practical KPI=VALUE`` value, checked here so bad input is a usage error."""
    from sim.checking.errors import CheckError
    from sim.checking.options import parse_practical

    try:
        parse_practical(text)
    except CheckError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_practical(sub: argparse.ArgumentParser) -> None:
    """``--practical KPI=VALUE`` (compare, report): replace a KPI's practical threshold."""
    sub.add_argument(
        "--practical",
        action="append",
        type=practical,
        default=None,
        metavar="KPI=VALUE",
        help="a difference of KPI within VALUE is 'no practical difference': a number in the "
        "KPI's units, N%% of the reference's mean, or Npp for a share (e.g. "
        "cost_per_parcel_cny=0.1, co2_kg=2%%, on_time_24h_share=2pp; 0 for none); repeatable "
        "(default: the KPI table's, see docs/report.md)",
    )


def experiment_options(args) -> dict:
    """The keyword arguments ``compare`` and ``sweep`` pass on to the library."""
    return {
        "overrides": list(args.overrides),
        "kpis": args.kpis,
        "precision": args.precision,
        "max_replications": args.max_replications,
        "jobs": args.jobs,
        "dask": args.dask,
        "resume": args.resume,
        "progress": False if args.quiet else None,
    }


def load(args) -> Scenario:
    """The scenario of ``args.scenario`` with ``--set``, fully checked."""
    from sim.runner import load_checked

    return load_checked(args.scenario, args.overrides)


def scenario_name(path: Path, overrides: list[str]) -> str:
    """A scenario file's name (for default results folders)."""
    from sim.scenario import load_scenario

    return load_scenario(path, overrides).name


def interrupted(out: Path) -> int:
    """Say what an interrupted experiment kept; exit status 130."""
    kept = len(list(out.glob("**/replications/r[0-9]*.json"))) if out.is_dir() else 0
    if kept:
        message = (
            f"interrupted; {kept} finished replication(s) kept in {out}; "
            "run the same command with --resume to continue"
        )
    else:
        message = "interrupted before any replication finished"
    print(f"ruralsim: {message}", file=sys.stderr)
    return EXIT_INTERRUPTED
