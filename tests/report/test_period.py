"""The report says over which days its totals are, with the counts the figures show."""

from __future__ import annotations

import re

import pytest

from sim.analysis.kpi_table import BY_NAME, TOTAL_KPIS
from sim.report import load_results
from sim.report.html import _kpi_table
from sim.report.period import period
from sim.report.summary import summarize_results


@pytest.fixture(scope="module")
def results(compare_folder):
    return load_results(compare_folder)


def test_the_period_is_the_scenarios_horizon(results):
    # tests/conftest.py: days 3 (warm-up included), warmup_days 1, drain_days 1.
    found = period(results)
    assert (found.warmup, found.measured, found.drain, found.simulated) == (1, 2, 1, 4)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_how_sure_counts_the_days_the_daily_figure_draws(results, lang):
    text = summarize_results(results, lang).certainty[0].plain()
    daily = results.details["sc_via"].daily
    one = daily[daily["replication"] == 0]
    simulated, measured = len(one), int(one["measured"].sum())
    warmup = int((~one["measured"] & (one["day"] < one.loc[one["measured"], "day"].min())).sum())
    if lang == "en":
        assert f"simulates {simulated} days: {warmup} warm-up day(s)" in text
        assert f"{measured} measured days" in text and f"over these {measured} days" in text
        assert f"and {simulated - warmup - measured} day(s) without new parcels" in text
    else:
        assert f"每次模拟 {simulated} 天：前 {warmup} 天为预热期" in text
        assert f"其后 {measured} 天为统计期" in text


def test_the_peak_and_ordinary_days_add_up_to_the_measured_days(peak_compare_folder):
    results = load_results(peak_compare_folder)
    kinds = results.details["sc_peak"].day_kinds
    one = kinds[kinds["replication"] == 0]
    assert one["days"].sum() == period(results, "sc_peak").measured


def test_totals_say_their_period_and_give_a_value_per_day(results):
    html = _kpi_table(results, "en")
    for kpi in TOTAL_KPIS:
        if kpi.startswith("bus_"):
            continue  # left out: no bus here
        row = next(line for line in html.split("<tr") if f">{kpi}</code>" in line)
        assert "over 2 measured days" in row, kpi
        mean = float(
            results.table[(results.table["scenario"] == "sc_via") & (results.table["kpi"] == kpi)][
                "mean"
            ].iloc[0]
        )
        per_day = re.findall(r'<span class="per-day">([-\d,.]+)', row)[1]  # sc_via's cell
        assert float(per_day.replace(",", "")) == pytest.approx(mean / 2, rel=0.006)
    # Means and shares are not totals: no period, no per-day value.
    row = next(line for line in html.split("<tr") if ">cost_per_parcel_cny</code>" in line)
    assert "measured days" not in row and "per-day" not in row
    assert all(BY_NAME[k].unit in ("km", "h", "CNY", "kg") for k in TOTAL_KPIS)


def test_the_summary_line_of_a_total_says_its_period(results):
    text = summarize_results(results, "en").plain()
    assert "- CO₂ emissions over 2 measured days: " in text
    assert "- Cost per parcel: " in text
