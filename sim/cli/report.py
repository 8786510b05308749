"""``ruralsim report``: the self-contained HTML report of a results folder."""

from __future__ import annotations

import sys
from pathlib import Path

from sim.cli.options import EXIT_BAD_INPUT, EXIT_OK, add_practical, out_path

HELP = "write a self-contained HTML report (figures, summary, KPI table) of a results folder"


def add_arguments(sub) -> None:
    """The command's arguments."""
    sub.add_argument(
        "results",
        type=Path,
        metavar="RESULTS_DIR",
        help="a folder written by ruralsim compare, sweep or run",
    )
    sub.add_argument(
        "--out",
        type=out_path,
        default=None,
        metavar="FILE",
        help="the HTML file (default RESULTS_DIR/report.html; report_zh.html with --lang zh); "
        "its figures go to FILE's name + _figures/ beside it",
    )
    sub.add_argument(
        "--lang", choices=("en", "zh"), default="en", help="language of the report (default en)"
    )
    add_practical(sub)


def write(folder: Path, out: Path | None, lang: str, practical: list[str] | None = None) -> int:
    """Write the report of ``folder``; also used by ``compare --report``."""
    from sim.report import ResultsError, write_report

    try:
        written = write_report(folder, out, lang, practical)
    except ResultsError as exc:  # also the report's own ReportError
        print(f"ruralsim report: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for warning in written.warnings:
        print(f"ruralsim report: warning: {warning}", file=sys.stderr)
    print(f"report written to {written.html} (figures as PNG and SVG in {written.figures})")
    return EXIT_OK


def run(args) -> int:
    """Write the HTML report of a compare, sweep or run results folder."""
    return write(args.results, args.out, args.lang, args.practical)
