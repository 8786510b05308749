"""The ``ruralsim`` command (also ``python -m sim``).

This module imports only the standard library at the top: the console script
imports it before :func:`main` runs, and a Ctrl-C during a heavy import there
would end in a traceback. Everything else is imported inside :func:`main`, where
an interrupt becomes exit status 130.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63-1, got {value}")
    return value


def _replications(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of at least 1 or 'auto', got {text!r}"
        ) from None


def _precision(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number such as 0.05, got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and at most 1, got {text}")
    return value


def _kpi(text: str) -> str:
    from sim.analysis.kpis import KPI_NAMES

    if text not in KPI_NAMES:
        raise argparse.ArgumentTypeError(f"unknown KPI {text!r} (known: {', '.join(KPI_NAMES)})")
    return text


def _out(text: str) -> Path:
    from sim.results import OutputError, check_out_path

    try:
        return check_out_path(text)
    except OutputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = _Parser(
        prog="ruralsim",
        description="Simulate a county's rural parcel network and compare delivery models.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def overrides_arg(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="PATH=VALUE",
            help="override a scenario field, e.g. --set hub.sorting.rate_per_h=4000 (repeatable)",
        )

    def scenario_args(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("scenario", type=Path, help="YAML scenario file")
        overrides_arg(sub)

    def execution_args(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--jobs",
            type=_positive_int,
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

    def experiment_args(sub: argparse.ArgumentParser, least: int, default_out: str) -> None:
        sub.add_argument(
            "--replications",
            type=_replications,
            default=5,
            metavar="N|auto",
            help=f"replications per scenario (at least {least}; default 5), or 'auto': add "
            "batches of 5 until every --kpi is within --precision",
        )
        sub.add_argument(
            "--precision",
            type=_precision,
            default=None,
            metavar="P",
            help="with --replications auto: largest relative 95%% CI half-width (default 0.05)",
        )
        sub.add_argument(
            "--max-replications",
            type=_positive_int,
            default=50,
            metavar="N",
            help="with --replications auto: the cap (default 50)",
        )
        sub.add_argument(
            "--kpi",
            dest="kpis",
            action="append",
            type=_kpi,
            default=None,
            metavar="NAME",
            help="a KPI to judge (verdicts, --replications auto); repeatable "
            "(default: the headline KPIs)",
        )
        sub.add_argument("--seed", type=_seed, default=None, help="root seed for every scenario")
        sub.add_argument(
            "--out",
            type=_out,
            default=None,
            metavar="DIR",
            help=f"results folder: new, empty or one ruralsim wrote ({default_out})",
        )
        sub.add_argument(
            "--resume",
            action="store_true",
            help="reuse the finished replications in --out (same scenarios and seed only)",
        )
        execution_args(sub)

    run = commands.add_parser("run", help="run replications of one scenario and write results")
    scenario_args(run)
    run.add_argument("--replications", type=_positive_int, default=1, metavar="N")
    run.add_argument("--seed", type=_seed, default=None, help="root seed (default: scenario seed)")
    run.add_argument(
        "--out",
        type=_out,
        default=None,
        metavar="DIR",
        help="results folder: new, empty or one ruralsim wrote (default results/NAME)",
    )
    execution_args(run)

    check = commands.add_parser("validate", help="validate a scenario and print it fully resolved")
    scenario_args(check)

    compare = commands.add_parser(
        "compare",
        help="compare scenarios with common random numbers (paired differences, 95%% CIs)",
    )
    compare.add_argument(
        "scenarios", type=Path, nargs="+", metavar="SCENARIO", help="two or more YAML files"
    )
    overrides_arg(compare)
    experiment_args(compare, least=2, default_out="default results/NAME_vs_NAME")
    compare.add_argument(
        "--report",
        action="store_true",
        help="also write the HTML report for policy staff, DIR/report.html (see ruralsim report)",
    )

    sweep = commands.add_parser(
        "sweep", help="run a scenario over a grid of values (full factorial or a design file)"
    )
    sweep.add_argument("scenario", type=Path, nargs="?", help="base YAML scenario file")
    sweep.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="PATH=V1,V2,...",
        help="a factor: a scenario field and its values, read as YAML (repeatable)",
    )
    sweep.add_argument(
        "--design",
        type=Path,
        default=None,
        help="a sweep YAML file (scenario, set, factors, points) instead of SCENARIO --vary",
    )
    overrides_arg(sweep)
    experiment_args(sweep, least=1, default_out="default results/sweep_NAME")

    warm = commands.add_parser(
        "warmup", help="suggest horizon.warmup_days with MSER-5 on the daily mean lead time"
    )
    scenario_args(warm)
    warm.add_argument("--replications", type=_positive_int, default=5, metavar="N")
    warm.add_argument("--seed", type=_seed, default=None, help="root seed (default: scenario seed)")
    warm.add_argument(
        "--days",
        type=_positive_int,
        default=None,
        help="days to simulate (default: the scenario's horizon, at least 10 batches)",
    )
    warm.add_argument(
        "--batch", type=_positive_int, default=5, help="MSER batch size in days (default 5)"
    )
    warm.add_argument(
        "--keep-peaks",
        action="store_true",
        help="keep the scenario's demand peaks (by default they are switched off: a "
        "scheduled peak is not start-up)",
    )
    execution_args(warm)

    regress = commands.add_parser(
        "check",
        help="re-run scenarios and fail (exit 1) when delivery-time KPIs regress against "
        "stored baselines",
    )
    regress.add_argument(
        "scenarios", type=Path, nargs="+", metavar="SCENARIO", help="one or more YAML files"
    )
    regress.add_argument(
        "--baseline",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder of baseline files, DIR/<scenario name>.json",
    )
    regress.add_argument(
        "--update",
        action="store_true",
        help="write or refresh the baselines (recording --set, --seed, --replications)",
    )
    regress.add_argument(
        "--replications",
        type=_positive_int,
        default=None,
        metavar="N",
        help="replications per scenario, at least 2 (default: the baseline's; 10 with --update)",
    )
    regress.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="root seed (default: the baseline's; with --update the scenario's)",
    )
    regress.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        default=None,
        metavar="NAME[:higher-is-worse|:lower-is-worse]",
        help="a KPI to check, replacing the default set (delivery times and on-time shares); "
        "the suffix says which way is worse (default: from the KPI's good direction); "
        "repeatable",
    )
    regress.add_argument(
        "--level",
        type=float,
        default=0.01,
        metavar="ALPHA",
        help="largest false-alarm probability per scenario (default 0.01; each KPI is "
        "tested at ALPHA / number of KPIs)",
    )
    regress.add_argument(
        "--min-effect",
        dest="min_effects",
        action="append",
        default=[],
        metavar="KPI=VALUE",
        help="smallest change that counts, replacing the KPI's default: a number in the "
        "KPI's units, N%% of the baseline mean, Npp for shares, or both (0.5,5%%); repeatable",
    )
    overrides_arg(regress)
    execution_args(regress)

    report = commands.add_parser(
        "report",
        help="write a self-contained HTML report (figures, summary, KPI table) of a results folder",
    )
    report.add_argument(
        "results",
        type=Path,
        metavar="RESULTS_DIR",
        help="a folder written by ruralsim compare, sweep or run",
    )
    report.add_argument(
        "--out",
        type=_out,
        default=None,
        metavar="FILE",
        help="the HTML file (default RESULTS_DIR/report.html; report_zh.html with --lang zh); "
        "its figures go to FILE's name + _figures/ beside it",
    )
    report.add_argument(
        "--lang", choices=("en", "zh"), default="en", help="language of the report (default en)"
    )
    return parser


def _load(args) -> Scenario:
    from sim.runner import load_checked

    return load_checked(args.scenario, args.overrides)


def _scenario_name(path: Path, overrides: list[str]) -> str:
    from sim.scenario import load_scenario

    return load_scenario(path, overrides).name


def _table(summary) -> str:
    lines = [f"{'KPI':<24} {'mean':>14} {'95% CI':>29}"]
    for row in summary.itertuples():
        ci = "" if row.ci_low != row.ci_low else f"[{row.ci_low:,.4g}, {row.ci_high:,.4g}]"
        lines.append(f"{row.kpi:<24} {row.mean:>14,.4g} {ci:>29}")
    return "\n".join(lines)


def cmd_validate(args) -> int:
    """Print the fully resolved scenario as YAML."""
    import yaml

    scenario = _load(args)
    sys.stdout.write(
        yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    )
    return EXIT_OK


def cmd_run(args) -> int:
    """Run replications and write ``manifest.json``, ``kpis.csv`` and ``details/``."""
    from tqdm import tqdm

    from sim.analysis.kpis import KPI_NAMES
    from sim.analysis.stats import summarize
    from sim.engine.model import plan_for
    from sim.experiments.core import kpi_table, replication_results
    from sim.experiments.executors import make_executor
    from sim.experiments.tasks import gather_details
    from sim.results import manifest, results_folder, write_json, write_text_atomic

    scenario = _load(args)
    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or Path("results") / scenario.name
    started, clock = datetime.now().astimezone(), time.perf_counter()
    with (
        make_executor(args.jobs, args.dask) as executor,
        tqdm(
            total=args.replications,
            desc=scenario.name,
            unit="rep",
            file=sys.stderr,
            disable=args.quiet or None,
        ) as bar,
        results_folder(out) as work,
    ):
        results = replication_results(
            scenario, args.replications, seed, executor, bar.update, details=True
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


def _experiment_options(args) -> dict:
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


def _interrupted(out: Path) -> int:
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


def cmd_compare(args) -> int:
    """Compare scenarios with common random numbers; write ``comparison.csv`` and more."""
    from sim.experiments import run_comparison

    if len(args.scenarios) < 2:
        raise _UsageError("compare needs at least two scenario files")
    out = args.out
    if out is None:
        names = [_scenario_name(path, args.overrides) for path in args.scenarios]
        out = Path("results") / "_vs_".join(names)
    try:
        result = run_comparison(
            args.scenarios, args.replications, args.seed, out=out, **_experiment_options(args)
        )
    except KeyboardInterrupt:
        return _interrupted(out)
    if not args.quiet:
        print(result.report())
        print()
    print(f"results written to {out}")
    if args.report:
        return _write_report(out, None, "en")
    return EXIT_OK


def _write_report(folder: Path, out: Path | None, lang: str) -> int:
    from sim.report import ReportError, write_report

    try:
        written = write_report(folder, out, lang)
    except ReportError as exc:
        print(f"ruralsim report: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for warning in written.warnings:
        print(f"ruralsim report: warning: {warning}", file=sys.stderr)
    print(f"report written to {written.html} (figures as PNG and SVG in {written.figures})")
    return EXIT_OK


def cmd_report(args) -> int:
    """Write the HTML report of a compare, sweep or run results folder."""
    return _write_report(args.results, args.out, args.lang)


def cmd_sweep(args) -> int:
    """Run a sweep; write ``sweep.csv`` (long form) and ``kpis.csv``."""
    from sim.experiments import load_design, parse_vary, run_sweep

    if args.design is not None and (args.scenario is not None or args.vary):
        raise _UsageError("give either --design FILE or SCENARIO with --vary, not both")
    if args.design is None and (args.scenario is None or not args.vary):
        raise _UsageError("sweep needs SCENARIO and at least one --vary PATH=V1,V2 (or --design)")
    factors: dict = {}
    for item in args.vary:
        path, values = parse_vary(item)
        if path in factors:
            raise _UsageError(f"--vary {path} is given twice")
        factors[path] = values
    design = load_design(args.design) if args.design is not None else None
    out = args.out
    if out is None:
        if design is not None:
            out = Path("results") / f"sweep_{args.design.stem}"
        else:
            out = Path("results") / f"sweep_{_scenario_name(args.scenario, args.overrides)}"
    try:
        result = run_sweep(
            args.scenario,
            factors or None,
            args.replications,
            args.seed,
            design=design,
            out=out,
            **_experiment_options(args),
        )
    except KeyboardInterrupt:
        return _interrupted(out)
    if not args.quiet:
        print(result.report())
        print()
    print(f"results written to {out}")
    return EXIT_OK


def cmd_warmup(args) -> int:
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


EXIT_REGRESSED = 1
"""Exit status of ``ruralsim check`` when a KPI regressed."""


def cmd_check(args) -> int:
    """Check scenarios against their baselines (exit 1 on a regression), or ``--update`` them."""
    from sim.analysis.regression import make_rule
    from sim.checking import check, update_baselines

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


class _UsageError(Exception):
    """Arguments that argparse alone cannot check."""


COMMANDS = {
    "run": cmd_run,
    "validate": cmd_validate,
    "compare": cmd_compare,
    "sweep": cmd_sweep,
    "warmup": cmd_warmup,
    "check": cmd_check,
    "report": cmd_report,
}


def _bad_input() -> tuple[type[Exception], ...]:
    """The errors that mean bad input (exit 2); imported here, not at the top."""
    from sim.analysis.regression import CheckError
    from sim.experiments.errors import ExperimentError
    from sim.results import OutputError
    from sim.scenario import ScenarioError

    return ScenarioError, ExperimentError, CheckError, OutputError


def _os_error(exc: OSError) -> str:
    """A file the system refused (read-only, disk full ...): the path and why."""
    reason = exc.strerror or str(exc)
    return reason if exc.filename is None else f"{exc.filename}: {reason}"


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    bad_input = _bad_input()
    try:
        return COMMANDS[args.command](args)
    except _UsageError as exc:
        print(f"ruralsim {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except bad_input as exc:
        print(f"ruralsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"ruralsim {args.command}: error: {_os_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    try:
        return _main(argv)
    except KeyboardInterrupt:  # also while the modules above are still being imported
        print("ruralsim: interrupted; no partial results were kept", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
