"""Tests written for mutants of sim/analysis/compare.py that survived mutation testing.

Expected values are hand calculations (Student-t quantiles from the printed table,
t_{0.95,1} = 6.313752, t_{0.95,3} = 2.353363; the t distribution with one degree of
freedom is the Cauchy, F(t) = 1/2 + arctan(t)/pi) and text laid out by hand, never the
code's output. See docs/testing.md.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import (
    COMPARISON_COLUMNS,
    classify,
    comparison_table,
    format_comparison,
    format_estimate,
    format_interval,
    format_number,
    p_value_text,
    paired_difference,
    verdict,
    verdicts,
)

T_95_1 = 6.313752
T_95_3 = 2.353363


def kpi_frame(values, replications=None, kpi="lead_time_mean_h"):
    replications = list(range(len(values))) if replications is None else replications
    return pd.DataFrame({"replication": replications, "seed": 1, kpi: values})


# --- paired_difference ---------------------------------------------------------------


def test_paired_difference_treats_none_on_either_side_as_a_missing_value():
    # pairs (1, 2), (None, 5), (3, 4.5), (4, None): the complete pairs differ by 1 and 1.5
    paired = paired_difference([1.0, None, 3.0, 4.0], [2.0, 5.0, 4.5, None])
    assert paired.n == 2
    assert paired.mean == pytest.approx(1.25)
    # sd of (1, 1.5) is sqrt(0.125), half = t_{0.975,1} * sd / sqrt(2) = 12.706205 * 0.25
    assert (paired.ci_low, paired.ci_high) == pytest.approx(
        (1.25 - 12.706205 * 0.25, 1.25 + 12.706205 * 0.25), rel=1e-6
    )


def test_paired_difference_of_two_pairs_has_a_p_value_and_honours_the_level():
    # differences 1 and 3: mean 2, sd sqrt(2), standard error 1, t = 2 with 1 degree of
    # freedom; two-sided p = 1 - 2 arctan(2) / pi
    paired = paired_difference([0.0, 0.0], [1.0, 3.0], level=0.90)
    assert paired.p_value == pytest.approx(1.0 - 2.0 * math.atan(2.0) / math.pi, rel=1e-9)
    assert (paired.ci_low, paired.ci_high) == pytest.approx((2.0 - T_95_1, 2.0 + T_95_1), rel=1e-6)


# --- _paired_columns and comparison_table --------------------------------------------


def test_tables_without_a_replication_column_on_one_side_pair_by_row():
    a = kpi_frame([1.0, 2.0, 3.0, 4.0])
    b = pd.DataFrame({"lead_time_mean_h": [2.0, 4.0, 5.0, 6.0]})  # differences 1, 2, 2, 2
    row = comparison_table({"a": a, "b": b}).iloc[1]
    assert row["diff"] == pytest.approx(1.75)


def test_duplicate_replications_on_one_side_cannot_be_paired():
    a = kpi_frame([1.0, 2.0])
    b = kpi_frame([1.0, 2.0, 3.0], [0, 1, 1])
    message = (
        r"^scenarios must have the same replications to be paired "
        r"\(got \[0, 1\] and \[0, 1, 1\]\)$"
    )
    with pytest.raises(ValueError, match=message):
        comparison_table({"a": a, "b": b})


def test_comparison_of_nothing_says_so():
    with pytest.raises(ValueError, match="^nothing to compare: no scenarios given$"):
        comparison_table({})


def test_comparison_table_honours_the_level():
    a = kpi_frame([1.0, 2.0, 3.0, 4.0])
    b = kpi_frame([2.0, 4.0, 5.0, 6.0])  # differences 1, 2, 2, 2: mean 1.75, sd 0.5
    table = comparison_table({"a": a, "b": b}, level=0.90)
    # a: mean 2.5, sd sqrt(5/3); half = t_{0.95,3} * sd / 2
    half_a = T_95_3 * math.sqrt(5.0 / 3.0) / 2.0
    assert (table.loc[0, "ci_low"], table.loc[0, "ci_high"]) == pytest.approx(
        (2.5 - half_a, 2.5 + half_a), rel=1e-6
    )
    half_diff = T_95_3 * 0.5 / 2.0
    assert (table.loc[1, "diff_ci_low"], table.loc[1, "diff_ci_high"]) == pytest.approx(
        (1.75 - half_diff, 1.75 + half_diff), rel=1e-6
    )


def test_the_reference_alone_has_numeric_nan_differences():
    table = comparison_table({"a": kpi_frame([1.0, 2.0])})
    assert tuple(table.columns) == COMPARISON_COLUMNS
    for column in ("diff", "diff_ci_low", "diff_ci_high", "p_value"):
        assert table[column].dtype == np.float64
        assert np.isnan(table[column].to_numpy()).all()


def test_comparison_of_no_kpis_still_has_every_column():
    table = comparison_table({"a": kpi_frame([1.0, 2.0]), "b": kpi_frame([1.0, 3.0])}, [])
    assert table.empty and tuple(table.columns) == COMPARISON_COLUMNS


# --- numbers, intervals, p-values ----------------------------------------------------


def test_format_number_of_nan():
    assert format_number(float("nan")) == "n/a"


def test_format_interval_uses_up_to_six_figures_and_the_same_figures_on_both_ends():
    # 3 figures: 1.23 and 1.23, the same; 4 figures tell them apart
    assert format_interval(1.231, 1.234) == ("1.231", "1.234")
    # equal to 6 figures: it stops at 6 (1.23457 twice), not 7
    assert format_interval(1.2345671, 1.2345674) == ("1.23457", "1.23457")


def test_p_value_of_exactly_a_thousandth_is_written_out():
    assert p_value_text(0.001) == "0.001"
    assert p_value_text(0.000999) == "< 0.001"


# --- classify and verdict ------------------------------------------------------------


@pytest.mark.parametrize("low, high", [(math.nan, 2.0), (-1.0, math.nan), (-math.inf, 2.0)])
def test_an_interval_with_one_end_undefined_is_unknown(low, high):
    assert classify("lead_time_mean_h", 1.0, low, high) == ("unknown", None)


def test_an_interval_ending_at_zero_includes_zero():
    assert classify("lead_time_mean_h", -0.5, -1.0, 0.0) == ("none", None)
    assert classify("cost_total_cny", 0.5, 0.0, 1.0) == ("none", None)


def test_door_times_read_as_faster_or_slower():
    assert classify("door_time_mean_h", -1.0, -2.0, -0.5) == ("faster", None)
    assert classify("door_time_mean_h", 1.0, 0.5, 2.0) == ("slower", None)


def test_verdict_of_an_exactly_zero_difference_has_no_sign():
    line = verdict("lead_time_mean_h", "b", "a", 0.0, -1.0, 1.0, 1.0)
    assert "(difference 0 h, 95% CI" in line


def test_verdict_of_a_change_of_exactly_ten_percent_is_rounded_to_whole_percent():
    # 1 h on a mean of 10 h: +10%, written without a decimal (0.1 is not below 0.1)
    line = verdict("lead_time_mean_h", "b", "a", 1.0, 0.5, 1.5, 0.01, 10.0)
    assert "(+10%; 95% CI" in line


def test_verdicts_word_the_level_and_do_without_a_reference_mean():
    table = pd.DataFrame(
        [
            # the reference has no row for the KPI: no relative change
            {"scenario": "a", "kpi": "vehicle_km", "mean": 100.0},
            {
                "scenario": "b",
                "kpi": "lead_time_mean_h",
                "mean": 8.0,
                "diff": -2.0,
                "diff_ci_low": -3.0,
                "diff_ci_high": -1.0,
                "p_value": 0.01,
            },
        ]
    )
    (line,) = verdicts(table, ["lead_time_mean_h"], level=0.90)
    assert line == ("lead_time_mean_h: b is 2.00 h faster than a (90% CI 1.00–3.00 h; p = 0.010)")


# --- format_comparison ---------------------------------------------------------------


def comparison_by_hand() -> pd.DataFrame:
    nan = math.nan
    rows = [
        ("a", "lead_time_mean_h", 10.0, nan, nan, nan, nan),
        ("a", "cost_total_cny", 2000.0, nan, nan, nan, nan),
        # b: a clear difference, p below 0.001; the same cost in every replication
        ("b", "lead_time_mean_h", 8.0, -2.0, -3.0, -1.0, 0.0004),
        ("b", "cost_total_cny", 2000.0, 0.0, 0.0, 0.0, nan),
        # c: one replication (a difference, no interval); a KPI undefined in c
        ("c", "lead_time_mean_h", 12.5, 2.5, nan, nan, nan),
        ("c", "cost_total_cny", nan, nan, nan, nan, nan),
    ]
    columns = ["scenario", "kpi", "mean", "diff", "diff_ci_low", "diff_ci_high", "p_value"]
    return pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows])


def _row(kpi, means):
    """The documented layout: KPI in 25 columns, each mean right-aligned in 14."""
    return " ".join([kpi.ljust(25), *(mean.rjust(14) for mean in means)])


def test_format_comparison_layout_by_hand():
    expected = [
        "[1] a (reference)",
        "[2] b",
        "[3] c",
        _row("KPI", ["[1]", "[2]", "[3]"]),
        # 10 -> "10.0 h", 8 -> "8.00 h" (3 figures, then the unit)
        _row("lead_time_mean_h", ["10.0 h", "8.00 h", "12.5 h"]),
        # the interval's ends in 3 figures, signed; the unit once; p below 0.001
        "  [2] - [1]: -2.00 h (95% CI -3.00 to -1.00 h), p < 0.001",
        # c's single replication: a difference without an interval
        "  [3] - [1]: +2.50 h (no interval: one replication)",
        # b's cost is identical in every replication, c's undefined: no lines
        _row("cost_total_cny", ["2,000 CNY", "2,000 CNY", "n/a"]),
        "(no difference line: the same in every replication, or undefined)",
    ]
    assert format_comparison(comparison_by_hand()).split("\n") == expected


def test_format_comparison_shows_the_kpis_asked_for():
    lines = format_comparison(comparison_by_hand(), ["cost_total_cny"]).split("\n")
    assert len(lines) == 6 and lines[4].startswith("cost_total_cny ")


def test_shares_are_percent_and_their_differences_percentage_points():
    nan = math.nan
    rows = [
        ("a", "on_time_24h_share", 0.9, nan, nan, nan, nan),
        ("b", "on_time_24h_share", 0.8, -0.1, -0.15, -0.05, 0.02),
        ("c", "on_time_24h_share", 0.85, -0.05, -0.05, -0.05, nan),
    ]
    columns = ["scenario", "kpi", "mean", "diff", "diff_ci_low", "diff_ci_high", "p_value"]
    table = pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows])
    lines = format_comparison(table).split("\n")
    assert lines[4] == _row("on_time_24h_share", ["90.0%", "80.0%", "85.0%"])
    assert lines[5] == "  [2] - [1]: -10.0 pp (95% CI -15.0 to -5.00 pp), p = 0.020"
    # a zero-width interval is one number
    assert lines[6] == "  [3] - [1]: -5.00 pp in every replication"


def test_every_line_fits_100_columns_for_five_scenarios():
    names = [f"scenario_name_{i}" for i in range(5)]
    rows = []
    for i, name in enumerate(names):
        diff = (math.nan,) * 3 if i == 0 else (-12345.678, -23456.7, -1234.5)
        rows.append((name, "cost_total_cny", 1234567.891, *diff, 0.0001 if i else math.nan))
    columns = ["scenario", "kpi", "mean", "diff", "diff_ci_low", "diff_ci_high", "p_value"]
    table = pd.DataFrame([dict(zip(columns, row, strict=True)) for row in rows])
    assert max(len(line) for line in format_comparison(table).split("\n")) <= 100


def test_paired_difference_warns_about_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reference, other in [([], []), ([1.0], [2.0]), ([1.0, 2.0], [1.0, 2.0])]:
            assert np.isnan(paired_difference(reference, other).p_value)


def test_an_estimate_is_a_mean_and_a_half_width_with_one_unit():
    assert format_estimate("lead_time_mean_h", 4.6257, 0.0341) == "4.63 ±0.034 h"
    assert format_estimate("on_time_24h_share", 0.8771, 0.0123) == "87.7 ±1.2%"
    assert format_estimate("parcels_generated", 9621.7, 227.7) == "9,622 ±228"
    # no interval, the same value in every replication, or float noise: the mean alone
    assert format_estimate("co2_kg", 1710.6, math.nan) == "1,711 kg"
    assert format_estimate("co2_kg", 1710.6, 0.0) == "1,711 kg"
    assert format_estimate("co2_kg", 1710.6, 6.8e-13) == "1,711 kg"
