"""The ``ruralsim`` command (also ``python -m sim``)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

import yaml

from sim.analysis.kpis import KPI_NAMES
from sim.analysis.stats import summarize
from sim.scenario import ScenarioError
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


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = _Parser(
        prog="ruralsim",
        description="Simulate a county's rural parcel network and compare delivery models.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def scenario_args(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("scenario", type=Path, help="YAML scenario file")
        sub.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="PATH=VALUE",
            help="override a scenario field, e.g. --set hub.sorting.rate_per_h=4000 (repeatable)",
        )

    run = commands.add_parser("run", help="run replications of one scenario and write results")
    scenario_args(run)
    run.add_argument("--replications", type=_positive_int, default=1, metavar="N")
    run.add_argument("--seed", type=_seed, default=None, help="root seed (default: scenario seed)")
    run.add_argument("--out", type=Path, default=None, help="results folder (default results/NAME)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or table")

    check = commands.add_parser("validate", help="validate a scenario and print it fully resolved")
    scenario_args(check)
    return parser


def _load(args) -> Scenario:
    from sim.runner import load_checked

    return load_checked(args.scenario, args.overrides)


def _table(summary) -> str:
    lines = [f"{'KPI':<24} {'mean':>14} {'95% CI':>29}"]
    for row in summary.itertuples():
        ci = "" if row.ci_low != row.ci_low else f"[{row.ci_low:,.4g}, {row.ci_high:,.4g}]"
        lines.append(f"{row.kpi:<24} {row.mean:>14,.4g} {ci:>29}")
    return "\n".join(lines)


def cmd_validate(args) -> int:
    """Print the fully resolved scenario as YAML."""
    scenario = _load(args)
    sys.stdout.write(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False))
    return EXIT_OK


def cmd_run(args) -> int:
    """Run replications and write ``manifest.json`` and ``kpis.csv``."""
    from tqdm import tqdm

    from sim.results import manifest, results_folder, write_json, write_text_atomic
    from sim.runner import run_replications

    scenario = _load(args)
    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or Path("results") / scenario.name
    started, clock = datetime.now().astimezone(), time.perf_counter()
    with (
        tqdm(
            total=args.replications,
            desc=scenario.name,
            unit="rep",
            file=sys.stderr,
            disable=args.quiet or None,
        ) as bar,
        results_folder(out) as work,
    ):
        kpis = run_replications(scenario, args.replications, seed, progress=bar.update)
        write_text_atomic(work / "kpis.csv", kpis.to_csv(index=False))
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


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return {"run": cmd_run, "validate": cmd_validate}[args.command](args)
    except ScenarioError as exc:
        print(f"ruralsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ruralsim: interrupted; no partial results were kept", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
