"""``ruralsim kpis``: print the KPI table (name, unit, better direction, meaning)."""

from __future__ import annotations

import sys

from sim.cli.options import EXIT_OK

HELP = "list the KPIs: name, unit, which way is better, and what each one measures"


def add_arguments(sub) -> None:
    """The command's arguments."""
    sub.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of the units, directions and meanings (default en)",
    )
    sub.add_argument(
        "--markdown",
        action="store_true",
        help="print a Markdown table instead (the README's KPI table)",
    )


def run(args) -> int:
    """Print the KPI table, wrapped to 100 columns."""
    from sim.analysis.kpi_table import markdown_table, text_table

    sys.stdout.write(markdown_table(args.lang) if args.markdown else text_table(args.lang))
    return EXIT_OK
