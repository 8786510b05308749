"""``ruralsim warmup``: how many start-up days to leave out (MSER-5)."""

from __future__ import annotations

from sim.cli.options import EXIT_OK, add_execution, add_scenario_runs, positive_int

HELP = "suggest horizon.warmup_days with MSER-5 on the daily mean lead time"


def add_arguments(sub) -> None:
    """The command's arguments."""
    add_scenario_runs(sub, replications=5)
    sub.add_argument(
        "--days",
        type=positive_int,
        default=None,
        help="days to simulate (default: the scenario's horizon, at least 10 batches)",
    )
    sub.add_argument(
        "--batch", type=positive_int, default=5, help="MSER batch size in days (default 5)"
    )
    sub.add_argument(
        "--keep-peaks",
        action="store_true",
        help="keep the scenario's demand peaks (by default they are switched off: a "
        "scheduled peak is not start-up)",
    )
    add_execution(sub)


def run(args) -> int:
    """Print the daily mean lead-time series and the MSER-5 warm-up suggestion."""
    from sim.experiments import warmup

    result = warmup(
        args.scenario,
        args.replications,
        args.seed,
        overrides=list(args.overrides),
        days=args.days,
        batch=args.batch,
        keep_peaks=args.keep_peaks,
        jobs=args.jobs,
        dask=args.dask,
        progress=False if args.quiet else None,
    )
    if args.quiet:
        print(f"suggested horizon.warmup_days: {result.suggested_warmup_days}")
    else:
        print(result.report())
    return EXIT_OK
