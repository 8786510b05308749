"""``ruralsim compare``: scenarios side by side with common random numbers."""

from __future__ import annotations

from pathlib import Path

from sim.cli import report
from sim.cli.options import (
    EXIT_OK,
    UsageError,
    add_experiment,
    add_overrides,
    experiment_options,
    interrupted,
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
    sub.add_argument(
        "--report",
        action="store_true",
        help="also write the HTML report for policy staff, DIR/report.html (see ruralsim report)",
    )


def run(args) -> int:
    """Compare scenarios with common random numbers; write ``comparison.csv`` and more."""
    from sim.experiments import run_comparison

    if len(args.scenarios) < 2:
        raise UsageError("compare needs at least two scenario files")
    out = args.out
    if out is None:
        names = [scenario_name(path, args.overrides) for path in args.scenarios]
        out = Path("results") / "_vs_".join(names)
    try:
        result = run_comparison(
            args.scenarios, args.replications, args.seed, out=out, **experiment_options(args)
        )
    except KeyboardInterrupt:
        return interrupted(out)
    if not args.quiet:
        print(result.report())
        print()
    print(f"results written to {out}")
    if args.report:
        return report.write(out, None, "en")
    print(f"for the HTML report: ruralsim report {out}")
    return EXIT_OK
