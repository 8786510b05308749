"""Figures and a self-contained HTML report of a results folder, for policy staff.

``load_results`` reads what ``ruralsim compare``, ``sweep`` or ``run`` wrote;
the ``plot_*`` functions draw figures from its tables (matplotlib figures, for
notebooks too); ``write_report`` makes the one-file HTML report with its figures
saved beside it as PNG and SVG. ``lang="zh"`` gives everything in Chinese.
"""

from sim.report.figures import (
    plot_cost_breakdown,
    plot_cost_vs_lead_time,
    plot_county_map,
    plot_daily,
    plot_distance_bands,
    plot_headline_kpis,
    plot_lead_time_cdf,
    plot_sweep,
)
from sim.report.fonts import find_cjk_font
from sim.report.html import Report, ReportError, Written, build_report, write_report
from sim.report.stages import plot_stages
from sim.report.summary import Summary, summarize_results
from sim.results.reader import Details, Results, ResultsError, load_results

__all__ = [
    "Details",
    "Report",
    "ReportError",
    "Results",
    "ResultsError",
    "Summary",
    "Written",
    "build_report",
    "find_cjk_font",
    "load_results",
    "plot_cost_breakdown",
    "plot_cost_vs_lead_time",
    "plot_county_map",
    "plot_daily",
    "plot_distance_bands",
    "plot_headline_kpis",
    "plot_lead_time_cdf",
    "plot_stages",
    "plot_sweep",
    "summarize_results",
    "write_report",
]
