"""``ruralsim compare``: scenarios side by side with common random numbers."""

from __future__ import annotations

from pathlib import Path

from sim.cli import report
from sim.cli.options import (
    EXIT_OK,
    UsageError,
    add_experiment,
    add_overrides,
    add_practical,
    experiment_options,
    run_experiment,
    scenario_name,
)

HELP = "compare scenarios with common random numbers (paired differences, 95%% CIs)"


def add_arguments(sub) -> None:
    """The command's arguments."""
    sub.add_argument(
        "scenarios", type=Path, nargs="+", metavar="SCENARIO", help="two or more YAML files"
    )
    add_overrides(sub)
    add_experiment(sub, least=2, default_out="default results/NAME_vs_NAME")
    add_practical(sub)
    sub.add_argument(
        "--report",
        action="store_true",
        help="also write the HTML report for policy staff, DIR/report.html (see ruralsim report)",
    )


def run(args) -> int:
    """Compare scenarios with common random numbers; write ``comparison.csv`` and more."""
    from sim.experiments import compare

    if len(args.scenarios) < 2:
        raise UsageError("compare needs at least two scenario files")
    out = args.out
    if out is None:
        names = [scenario_name(path, args.overrides) for path in args.scenarios]
        out = Path("results") / "_vs_".join(names)
    options = experiment_options(args)
    done = run_experiment(
        lambda: compare(
            args.scenarios,
            args.replications,
            args.seed,
            out=out,
            practical=args.practical,
            **options,
        ),
        out,
        args.quiet,
    )
    if done != EXIT_OK:
        return done
    if args.report:
        return report.write(out, None, "en")  # the thresholds compare used, from the folder
    print(f"for the HTML report: ruralsim report {out}")
    return EXIT_OK
