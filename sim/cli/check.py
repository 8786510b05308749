"""``ruralsim check``: regression checks against stored baselines (for CI)."""

from __future__ import annotations

from pathlib import Path

from sim.cli.options import EXIT_OK, EXIT_REGRESSED, add_execution, add_overrides, positive_int
from sim.cli.options import seed as seed_arg

HELP = "re-run scenarios and fail (exit 1) when delivery-time KPIs regress against stored baselines"


def add_arguments(sub) -> None:
    """The command's arguments."""
    sub.add_argument(
        "scenarios", type=Path, nargs="+", metavar="SCENARIO", help="one or more YAML files"
    )
    sub.add_argument(
        "--baseline",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder of baseline files, DIR/<scenario name>.json",
    )
    sub.add_argument(
        "--update",
        action="store_true",
        help="write or refresh the baselines (recording --set, --seed, --replications)",
    )
    sub.add_argument(
        "--replications",
        type=positive_int,
        default=None,
        metavar="N",
        help="replications per scenario, at least 2 (default: the baseline's; 10 with --update)",
    )
    sub.add_argument(
        "--seed",
        type=seed_arg,
        default=None,
        help="root seed (default: the baseline's; with --update the scenario's)",
    )
    sub.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        default=None,
        metavar="NAME[:higher-is-worse|:lower-is-worse]",
        help="a KPI to check, replacing the default set (delivery times and on-time shares); "
        "the suffix says which way is worse (default: from the KPI's good direction); "
        "repeatable",
    )
    sub.add_argument(
        "--level",
        type=float,
        default=0.01,
        metavar="ALPHA",
        help="largest false-alarm probability per scenario (default 0.01; each KPI is "
        "tested at ALPHA / number of KPIs)",
    )
    sub.add_argument(
        "--min-effect",
        dest="min_effects",
        action="append",
        default=[],
        metavar="KPI=VALUE",
        help="smallest change that counts, replacing the KPI's default: a number in the "
        "KPI's units, N%% of the baseline mean, Npp for shares, or both (0.5,5%%); repeatable",
    )
    add_overrides(sub)
    add_execution(sub)


def run(args) -> int:
    """Check scenarios against their baselines (exit 1 on a regression), or ``--update`` them."""
    from sim.checking import check, update_baselines
    from sim.checking.options import make_rule

    options = {
        "replications": args.replications,
        "seed": args.seed,
        "overrides": list(args.overrides),
        "jobs": args.jobs,
        "dask": args.dask,
        "progress": False if args.quiet else None,
    }
    if args.update:
        make_rule(args.kpis, args.level, args.min_effects)  # bad options are bad input here too
        print(update_baselines(args.scenarios, args.baseline, **options).report())
        return EXIT_OK
    result = check(
        args.scenarios,
        args.baseline,
        kpis=args.kpis,
        level=args.level,
        min_effects=args.min_effects,
        **options,
    )
    print(result.brief() if args.quiet else result.report())
    return EXIT_REGRESSED if result.regressed else EXIT_OK
