"""``ruralsim region``: independent counties run as separate tasks, merged exactly."""

from __future__ import annotations

from pathlib import Path

from sim.cli.options import (
    add_execution,
    add_overrides,
    out_path,
    positive_int,
    run_experiment,
    seed,
)

HELP = "run every county of a region file and merge their KPIs exactly (docs/region.md)"


def add_arguments(sub) -> None:
    """The command's arguments."""
    sub.add_argument("region", type=Path, metavar="REGION", help="region YAML file")
    add_overrides(sub)
    sub.add_argument(
        "--replications", type=positive_int, default=1, metavar="N", help="per county (default 1)"
    )
    sub.add_argument(
        "--seed", type=seed, default=None, help="root seed of the region (default: its file's)"
    )
    sub.add_argument(
        "--out",
        type=out_path,
        default=None,
        metavar="DIR",
        help="results folder: new, empty or one ruralsim wrote (default results/REGION_NAME)",
    )
    sub.add_argument(
        "--resume",
        action="store_true",
        help="reuse the finished replications in --out (same counties and seed only)",
    )
    add_execution(sub)


def run(args) -> int:
    """Run the region; write each county's run folder as it finishes, then the region's KPIs."""
    from sim.experiments import load_region, run_region

    region = load_region(args.region, args.overrides)  # every input error now
    out = args.out or Path("results") / region.name
    return run_experiment(
        lambda: run_region(
            region,
            args.replications,
            args.seed,
            jobs=args.jobs,
            dask=args.dask,
            out=out,
            resume=args.resume,
            progress=False if args.quiet else None,
        ),
        out,
        args.quiet,
    )
