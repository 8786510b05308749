"""Ordinary and peak days in the report: the table, the summary sentence, the daily band.

The numbers are recomputed here from ``details/day_kinds.csv`` with the csv module
(means over replications, empty cells left out), not with the report's code.
"""

from __future__ import annotations

import csv
import statistics

import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from sim.report import html as html_module
from sim.report import load_results, write_report
from sim.report.summary import summarize_results
from tests.report.conftest import PEAK
from tests.report.helpers import CJK, check_html, text_outside


def day_kind_rows(folder, name: str) -> dict[str, list[dict]]:
    with open(folder / name / "details" / "day_kinds.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {kind: [r for r in rows if r["kind"] == kind] for kind in ("ordinary", "peak")}


def mean_of(rows: list[dict], column: str) -> float:
    return statistics.fmean(float(r[column]) for r in rows if r[column] != "")


COLUMNS = (
    "days",
    "parcels",
    "lead_time_mean_h",
    "lead_time_p90_h",
    "on_time_24h_share",
    "door_time_mean_h",
)


def page_parts(folder) -> str:
    """The summary and the ordinary/peak section as the page has them (no figures drawn)."""
    results = load_results(folder)
    summary = html_module._summary_html(summarize_results(results))
    return f'<section id="summary">{summary}</section>{html_module._day_kinds_table(results, "en")}'


def test_the_table_shows_each_kind_of_day_as_day_kinds_csv_says(peak_compare_folder):
    html = page_parts(peak_compare_folder)
    page = check_html(html)
    assert page.errors == [] and "day-kinds" in page.ids
    rows = [e for e in page.find("tr", inside="section#day-kinds") if "data-kind" in e.attrs]
    # Only the scenario with a peak has rows, one per kind of day.
    assert [(r.attrs["data-scenario"], r.attrs["data-kind"]) for r in rows] == [
        ("sc_peak", "ordinary"),
        ("sc_peak", "peak"),
    ]
    cells = [e for e in page.find("data", inside="section#day-kinds") if "data-column" in e.attrs]
    assert len(cells) == 2 * len(COLUMNS)
    expected = day_kind_rows(peak_compare_folder, "sc_peak")
    for kind, row_cells in zip(("ordinary", "peak"), (cells[:6], cells[6:]), strict=True):
        for cell, column in zip(row_cells, COLUMNS, strict=True):
            assert cell.attrs["data-column"] == column
            want = mean_of(expected[kind], column)
            assert float(cell.attrs["value"]) == pytest.approx(want, rel=1e-12), (kind, column)
    # Horizon of 3 days, day 0 warm-up, the peak on day 2: one day of each kind measured.
    assert [float(c.attrs["value"]) for c in cells if c.attrs["data-column"] == "days"] == [1, 1]
    # Demand triples on the peak day, so it brings more parcels than the ordinary one.
    parcels = [float(c.attrs["value"]) for c in cells if c.attrs["data-column"] == "parcels"]
    assert parcels[1] > 2 * parcels[0]
    assert "No peak days were measured for sc_direct" in text_outside(html, set(), set())


def test_the_summary_says_how_much_longer_peak_days_took(peak_compare_folder):
    page = check_html(page_parts(peak_compare_folder))
    (sentence,) = [p for p in page.find("p", inside="section#summary") if "peak day" in p.text]
    assert "1 peak day(s)" in sentence.text and "1 ordinary day(s)" in sentence.text
    assert "mean of 3 replications" in sentence.text
    rows = day_kind_rows(peak_compare_folder, "sc_peak")
    by_rep = {
        kind: {r["replication"]: float(r["lead_time_mean_h"]) for r in rows[kind]} for kind in rows
    }
    diffs = [by_rep["peak"][r] - by_rep["ordinary"][r] for r in by_rep["peak"]]
    expected = {
        "day_kinds:peak": mean_of(rows["peak"], "lead_time_mean_h"),
        "day_kinds:ordinary": mean_of(rows["ordinary"], "lead_time_mean_h"),
        "day_kinds:diff": statistics.fmean(diffs),
    }
    expected["day_kinds:relative"] = expected["day_kinds:diff"] / expected["day_kinds:ordinary"]
    numbers = {
        e.attrs["data-field"]: e
        for e in page.find("data", inside="section#summary")
        if e.attrs["data-field"].startswith("day_kinds:")
    }
    for field, want in expected.items():
        assert float(numbers[field].attrs["value"]) == pytest.approx(want, rel=1e-12), field
    longer = expected["day_kinds:diff"] > 0
    assert (" longer" in sentence.text) == longer and (" less" in sentence.text) != longer
    low, high = (
        float(numbers[f"day_kinds:diff_ci_{end}"].attrs["value"]) for end in ("low", "high")
    )
    assert low <= expected["day_kinds:diff"] <= high


def test_the_report_has_the_section_and_marks_the_peak_in_the_daily_figure(
    peak_compare_folder, tmp_path
):
    written = write_report(peak_compare_folder, tmp_path / "r.html")
    page = check_html(written.html.read_text(encoding="utf-8"))
    assert page.errors == []
    assert page.ids.index("kpis") < page.ids.index("day-kinds") < page.ids.index("figures")
    results = load_results(peak_compare_folder)
    assert results.peaks("sc_peak") == [(PEAK["start_day"], PEAK["days"], PEAK["factor"])]
    assert results.peaks("sc_direct") == []
    svg = (written.figures / "daily.svg").read_text(encoding="utf-8")
    assert svg.count('id="peak:2-3"') == 3  # one band per panel, day 2 to the end of day 2


def test_the_chinese_table_and_sentence(peak_compare_folder):
    results = load_results(peak_compare_folder)
    table = html_module._day_kinds_table(results, "zh")
    assert "平常日与高峰日" in table and table.count("<tr data-scenario") == 2
    assert CJK.search(summarize_results(results, "zh").peaks[0].plain())


def test_without_peaks_there_is_no_band_table_or_sentence(compare_folder):
    results = load_results(compare_folder)
    assert all(d.day_kinds is not None for d in results.details.values())  # read, all ordinary
    assert html_module._day_kinds_table(results, "en") == ""
    summary = summarize_results(results)
    assert summary.peaks == [] and "peak" not in summary.plain().lower()
    drawn, _ = html_module._figures(results, "en")
    (daily,) = [fig for name, fig in drawn if name == "daily"]
    assert not [p for p in daily.findobj(Rectangle) if str(p.get_gid()).startswith("peak:")]
    assert not [t for t in daily.findobj(Text) if t.get_gid() == "peak-label"]
