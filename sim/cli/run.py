"""``ruralsim run``: replications of one scenario, written to a results folder."""

from __future__ import annotations

from pathlib import Path

from sim.cli.options import (
    EXIT_OK,
    add_execution,
    add_scenario_runs,
    load,
    out_path,
)

HELP = "run replications of one scenario and write results"


def add_arguments(sub) -> None:
    """The command's arguments."""
    add_scenario_runs(sub, replications=1)
    sub.add_argument(
        "--out",
        type=out_path,
        default=None,
        metavar="DIR",
        help="results folder: new, empty or one ruralsim wrote (default results/NAME)",
    )
    add_execution(sub)


def run(args) -> int:
    """Run replications and write ``manifest.json``, ``kpis.csv`` and ``details/``."""
    from sim.experiments import run_scenario

    name = load(args).name  # the default folder's name; every input error now
    result = run_scenario(
        args.scenario,
        args.replications,
        args.seed,
        overrides=args.overrides,
        jobs=args.jobs,
        dask=args.dask,
        out=args.out or Path("results") / name,
        progress=False if args.quiet else None,
    )
    if not args.quiet:
        print(result.report())
    print(f"results written to {result.out}")
    return EXIT_OK
