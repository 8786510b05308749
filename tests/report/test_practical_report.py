"""The report reads the practical thresholds compare used, and may override them."""

from __future__ import annotations

import pytest

from sim.report import ReportError, load_results
from sim.report.html import _kpi_table, _with_practical
from sim.report.summary import summarize_results
from tests.conftest import SCENARIOS, cli
from tests.report.conftest import VIA_TITLE


def test_the_report_reads_the_thresholds_and_may_override_them(compare_folder, sweep_folder):
    results = load_results(compare_folder)
    table = results.table
    row = table[(table["scenario"] == "sc_via") & (table["kpi"] == "lead_time_mean_h")].iloc[0]
    assert row["practical"] == 0.25  # the KPI table's, as compare used
    assert abs(row["diff"]) > 0.25 and row["diff_ci_low"] * row["diff_ci_high"] > 0  # clear
    # A threshold beyond the difference makes it no practical difference everywhere.
    results.table = _with_practical(results, ["lead_time_mean_h=1000"])
    cells = [line for line in _kpi_table(results, "en").split("<tr") if "lead_time_mean_h<" in line]
    assert '<td class="negligible">' in cells[0] and "no practical difference" in cells[0]
    summary = summarize_results(results, "en").plain()
    assert "no practical difference on mean lead time" in summary
    assert f"no practical difference between {VIA_TITLE} and sc_direct" in summary
    with pytest.raises(ReportError, match="applies to a comparison"):
        _with_practical(load_results(sweep_folder), ["lead_time_mean_h=1"])
    with pytest.raises(ReportError, match="unknown KPI"):
        _with_practical(load_results(compare_folder), ["no_such_kpi=1"])


@pytest.mark.parametrize("command", ["compare", "report"])
def test_a_bad_practical_option_exits_2(command, compare_folder, capsys):
    first = [SCENARIOS / "leiyang_direct.yaml", SCENARIOS / "leiyang_via_township.yaml"]
    where = first if command == "compare" else [compare_folder]
    code, _, err = cli([command, *where, "--practical", "co2_kg=-3"], capsys)
    assert code == 2 and "--practical co2_kg=-3: must be 0 or more" in err
