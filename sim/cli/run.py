"""``ruralsim run``: replications of one scenario, written to a results folder."""

from __future__ import annotations

import time
from datetime import datetime
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


def _table(summary) -> str:
    lines = [f"{'KPI':<24} {'mean':>14} {'95% CI':>29}"]
    for row in summary.itertuples():
        ci = "" if row.ci_low != row.ci_low else f"[{row.ci_low:,.4g}, {row.ci_high:,.4g}]"
        lines.append(f"{row.kpi:<24} {row.mean:>14,.4g} {ci:>29}")
    return "\n".join(lines)


def run(args) -> int:
    """Run replications and write ``manifest.json``, ``kpis.csv`` and ``details/``."""
    from sim.analysis.kpis import KPI_NAMES
    from sim.analysis.stats import summarize
    from sim.engine.model import plan_for
    from sim.experiments.core import kpi_table, replication_results
    from sim.experiments.executors import make_executor
    from sim.experiments.tasks import gather_details
    from sim.results import (
        manifest,
        progress_bar,
        results_folder,
        write_json,
        write_text_atomic,
    )

    scenario = load(args)
    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or Path("results") / scenario.name
    started, clock = datetime.now().astimezone(), time.perf_counter()
    with (
        make_executor(args.jobs, args.dask) as executor,
        progress_bar(scenario.name, args.replications, False if args.quiet else None) as bar,
        results_folder(out) as work,
    ):
        results = replication_results(
            scenario,
            args.replications,
            seed,
            executor,
            None if bar is None else bar.update,
            details=True,
        )
        kpis = kpi_table(results, args.replications)
        write_text_atomic(work / "kpis.csv", kpis.to_csv(index=False))
        details = {r: result.details for r, result in results.items()}
        for name, table in gather_details(details, plan_for(scenario)).items():
            write_text_atomic(work / "details" / f"{name}.csv", table.to_csv(index=False))
        write_json(
            work / "manifest.json",
            manifest(
                scenario,
                scenario_file=str(args.scenario),
                overrides=list(args.overrides),
                seed=seed,
                replications=args.replications,
                started=started,
                wall_s=time.perf_counter() - clock,
            ),
        )
    if not args.quiet:
        print(f"{scenario.name}: {args.replications} replication(s), seed {seed}")
        print(_table(summarize(kpis, list(KPI_NAMES))))
    print(f"results written to {out}")
    return EXIT_OK
