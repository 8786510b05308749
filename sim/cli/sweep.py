"""``ruralsim sweep``: one scenario over a grid of values."""

from __future__ import annotations

from pathlib import Path

from sim.cli.options import (
    UsageError,
    add_experiment,
    add_overrides,
    experiment_options,
    run_experiment,
    scenario_name,
)

HELP = "run a scenario over a grid of values (full factorial or a design file)"


def add_arguments(sub) -> None:
    """The command's arguments."""
    sub.add_argument("scenario", type=Path, nargs="?", help="base YAML scenario file")
    sub.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        help="a factor: a scenario field and its values, read as YAML (repeatable)",
    )
    sub.add_argument(
        "--design",
        type=Path,
        default=None,
        help="a sweep YAML file (scenario, set, factors, points) instead of SCENARIO --vary",
    )
    add_overrides(sub)
    add_experiment(sub, least=1, default_out="default results/sweep_NAME")


def run(args) -> int:
    """Run a sweep; write ``sweep.csv`` (long form) and ``kpis.csv``."""
    from sim.experiments import load_design, parse_vary, sweep

    if args.design is not None and (args.scenario is not None or args.vary):
        raise UsageError("give either --design FILE or SCENARIO with --vary, not both")
    if args.design is None and (args.scenario is None or not args.vary):
        raise UsageError("sweep needs SCENARIO and at least one --vary PATH=V1,V2 (or --design)")
    factors: dict = {}
    for item in args.vary:
        path, values = parse_vary(item)
        if path in factors:
            raise UsageError(f"--vary {path} is given twice")
        factors[path] = values
    design = load_design(args.design) if args.design is not None else None
    out = args.out
    if out is None:
        if design is not None:
            out = Path("results") / f"sweep_{args.design.stem}"
        else:
            out = Path("results") / f"sweep_{scenario_name(args.scenario, args.overrides)}"
    options = experiment_options(args)
    return run_experiment(
        lambda: sweep(
            args.scenario,
            factors or None,
            args.replications,
            args.seed,
            design=design,
            out=out,
            **options,
        ),
        out,
        args.quiet,
    )
