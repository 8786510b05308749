"""Known-answer checks of the comparison statistics and of the verdict wording."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from sim import KPI_NAMES
from sim.analysis.compare import (
    COMPARISON_COLUMNS,
    comparison_table,
    format_comparison,
    paired_difference,
    verdict,
    verdicts,
)
from sim.analysis.directions import (
    HEADLINE_KPIS,
    KPI_DIRECTIONS,
    direction,
    judge,
    unit,
)
from sim.analysis.stats import paired_t_p_value, t_interval


def test_t_interval_of_a_known_sample_matches_the_textbook_formula():
    sample = np.array([4.2, 5.1, 3.9, 6.3, 5.5, 4.8, 5.0, 4.4])
    mean, low, high = t_interval(sample, 0.95)
    half = stats.t.ppf(0.975, 7) * sample.std(ddof=1) / np.sqrt(8)
    assert mean == pytest.approx(4.9, abs=1e-12)
    assert (low, high) == pytest.approx((4.9 - half, 4.9 + half), abs=1e-12)
    # Student t, not normal: 2.3646 for 7 degrees of freedom.
    assert half == pytest.approx(2.364624 * sample.std(ddof=1) / np.sqrt(8), rel=1e-6)


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99, 0.999])
@pytest.mark.parametrize("n", [2, 3, 8, 30, 1000])
def test_t_interval_uses_exactly_the_scipy_stats_t_quantile(n, level):
    # t_interval takes the quantile from scipy.special (cheap to import); it must be
    # the very number scipy.stats.t gives, to the last bit.
    sample = np.random.default_rng(n).normal(3.0, 2.0, n)
    mean, low, high = t_interval(sample, level)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * sample.std(ddof=1) / np.sqrt(n)
    assert (low, high) == (mean - half, mean + half)


def test_t_interval_covers_the_true_mean_95_percent_of_the_time():
    # Small samples from a known normal: a z interval would cover only ~91.8%.
    rng = np.random.default_rng(20261129)
    samples = rng.normal(5.0, 2.0, size=(4000, 8))
    covered = 0
    for sample in samples:
        _, low, high = t_interval(sample)
        covered += low <= 5.0 <= high
    assert covered / len(samples) == pytest.approx(0.95, abs=0.012)


@pytest.mark.parametrize("seed", range(5))
def test_paired_difference_agrees_with_scipy(seed):
    rng = np.random.default_rng(seed)
    n = 4 + seed * 3
    reference = rng.normal(20.0, 3.0, n)
    other = reference + rng.normal(-0.8, 0.7, n)
    paired = paired_difference(reference, other)
    diff = other - reference
    expected = stats.ttest_rel(other, reference)
    assert paired.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    low, high = stats.t.interval(0.95, n - 1, loc=diff.mean(), scale=stats.sem(diff))
    assert (paired.mean, paired.ci_low, paired.ci_high) == pytest.approx(
        (diff.mean(), low, high), rel=1e-10
    )
    assert paired.n == n and not paired.identical
    # The interval excludes 0 exactly when p < 0.05.
    assert (paired.p_value < 0.05) == (not paired.ci_low <= 0 <= paired.ci_high)


@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40),
    st.floats(1e-3, 1e3),
)
def test_the_paired_p_value_is_scipys_ttest_rel(reference, scale):
    """paired_t_p_value computes what scipy.stats.ttest_rel does, without importing it."""
    reference = np.array(reference)
    other = reference + scale * np.cos(np.arange(reference.size))
    diff = other - reference
    expected = stats.ttest_rel(other, reference).pvalue
    assert paired_t_p_value(diff) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_paired_difference_drops_missing_pairs_and_handles_degenerate_cases():
    paired = paired_difference([1.0, np.nan, 3.0, 4.0], [2.0, 5.0, np.nan, 6.0])
    assert paired.n == 2 and paired.mean == pytest.approx(1.5)
    same = paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert same.identical and np.isnan(same.p_value)
    assert (same.mean, same.ci_low, same.ci_high) == (0.0, 0.0, 0.0)
    shifted = paired_difference([1.0, 2.0, 3.0], [3.0, 4.0, 5.0])
    assert shifted.p_value == 0.0 and shifted.ci_low == shifted.ci_high == 2.0
    single = paired_difference([1.0], [2.0])
    assert np.isnan(single.ci_low) and np.isnan(single.p_value)
    with pytest.raises(ValueError, match="differ in length"):
        paired_difference([1.0, 2.0], [1.0])


def kpi_frame(values, replications=None):
    replications = list(range(len(values))) if replications is None else replications
    return pd.DataFrame({"replication": replications, "seed": 1, "lead_time_mean_h": values})


def test_comparison_table_known_answer():
    a = kpi_frame([1.0, 2.0, 3.0, 4.0])
    b = kpi_frame([2.0, 4.0, 5.0, 6.0])  # differences 1, 2, 2, 2
    table = comparison_table({"a": a, "b": b})
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert list(table["scenario"]) == ["a", "b"]
    ref, other = table.iloc[0], table.iloc[1]
    assert ref["mean"] == 2.5 and np.isnan(ref["diff"]) and np.isnan(ref["p_value"])
    half = stats.t.ppf(0.975, 3) * 0.5 / 2.0  # sd of (1,2,2,2) is 0.5
    assert other["diff"] == pytest.approx(1.75)
    assert (other["diff_ci_low"], other["diff_ci_high"]) == pytest.approx(
        (1.75 - half, 1.75 + half)
    )
    assert other["p_value"] == pytest.approx(
        stats.ttest_rel([2.0, 4.0, 5.0, 6.0], [1.0, 2.0, 3.0, 4.0]).pvalue
    )


def test_comparison_pairs_by_replication_not_by_row_order():
    a = kpi_frame([1.0, 2.0, 3.0, 4.0])
    b = kpi_frame([2.0, 4.0, 5.0, 6.0])
    shuffled = b.iloc[[2, 0, 3, 1]]
    pd.testing.assert_frame_equal(
        comparison_table({"a": a, "b": b}), comparison_table({"a": a, "b": shuffled})
    )
    with pytest.raises(ValueError, match="same replications"):
        comparison_table({"a": a, "b": kpi_frame([1.0, 2.0, 3.0, 4.0], [0, 1, 2, 5])})


def test_every_kpi_has_a_direction_and_headlines_exist():
    assert set(KPI_NAMES) == set(KPI_DIRECTIONS), "give every KPI a good direction"
    assert set(HEADLINE_KPIS) <= set(KPI_NAMES)
    assert direction("lead_time_p90_h") == "lower"
    assert direction("on_time_24h_share") == "higher"
    assert direction("sorting_utilization") == "neutral"
    assert direction("not_a_kpi") == "neutral"
    assert judge("lead_time_mean_h", -1.0) == "better"
    assert judge("on_time_24h_share", -0.1) == "worse"
    assert judge("cost_per_parcel_cny", 0.2) == "worse"
    assert judge("van_load_factor_mean", 0.2) is None
    assert judge("co2_kg", 0.0) is None
    assert unit("lead_time_p90_h") == "h" and unit("cost_per_parcel_cny") == "CNY"
    assert unit("co2_kg") == "kg" and unit("vehicle_km") == "km"
    assert unit("on_time_24h_share") == "percentage points" and unit("parcels_generated") == ""


def test_verdict_words_follow_the_kpi_direction():
    faster = verdict("lead_time_p90_h", "via", "direct", -9.8, -11.5, -8.1, 1e-5, 49.0)
    assert faster.startswith("lead_time_p90_h: via is 9.80 h faster than direct")
    assert "95% CI 8.10–11.5 h" in faster and "p < 0.001" in faster and "(-20%;" in faster
    slower = verdict("lead_time_mean_h", "via", "direct", 2.0, 1.0, 3.0, 0.01)
    assert "2.00 h slower" in slower and "p = 0.010" in slower
    share = verdict("on_time_24h_share", "via", "direct", -0.132, -0.136, -0.128, 1e-6, 0.9)
    assert "13.2 percentage points lower (worse)" in share
    assert "95% CI 12.8–13.6 percentage points" in share
    cost = verdict("cost_per_parcel_cny", "via", "direct", 0.0172, 0.0171, 0.0174, 1e-4, 1.27)
    assert "0.0172 CNY higher (worse)" in cost and "+1.4%" in cost
    co2 = verdict("co2_kg", "via", "direct", -3614.0, -3615.0, -3613.0, 1e-9, 5142.0)
    assert "3,614 kg lower (better)" in co2
    neutral = verdict("sorting_utilization", "b", "a", 0.1, 0.05, 0.15, 0.01)
    assert "higher than a" in neutral and "better" not in neutral and "worse" not in neutral


def test_verdict_does_not_overclaim():
    unsure = verdict("lead_time_p90_h", "via", "direct", -0.5, -1.2, 0.2, 0.14)
    assert unsure.startswith("lead_time_p90_h: no significant difference between via and direct")
    assert "-0.500 h" in unsure and "-1.20 to 0.200" in unsure and "p = 0.140" in unsure
    for word in ("faster", "slower", "better", "worse"):
        assert word not in unsure
    same = verdict(
        "parcels_generated", "via", "direct", 0.0, 0.0, 0.0, float("nan"), identical=True
    )
    assert same == "parcels_generated: via and direct are identical in every replication"
    unknown = verdict("lead_time_p90_h", "via", "direct", 1.0, float("nan"), float("nan"), np.nan)
    assert "cannot tell" in unknown


@given(
    kpi=st.sampled_from(sorted(KPI_DIRECTIONS)),
    centre=st.floats(-1e4, 1e4, allow_nan=False),
    half=st.floats(0.0, 1e4, allow_nan=False),
)
def test_verdict_claims_a_direction_only_when_the_interval_excludes_zero(kpi, centre, half):
    low, high = centre - half, centre + half
    text = verdict(kpi, "b", "a", centre, low, high, 0.5, 10.0)
    claims = any(w in text for w in (" faster ", " slower ", " higher ", " lower "))
    if low <= 0.0 <= high:
        assert not claims and ("no significant difference" in text)
    else:
        assert claims
        better_is_lower = direction(kpi) == "lower"
        if direction(kpi) != "neutral":
            good = (centre < 0) == better_is_lower
            assert ("better" in text or "faster" in text) == good
            assert ("worse" in text or "slower" in text) == (not good)


def test_verdicts_and_table_from_a_comparison():
    a = kpi_frame([10.0, 11.0, 12.0, 13.0])
    b = kpi_frame([8.0, 9.5, 10.0, 11.5])
    c = kpi_frame([10.0, 11.0, 12.0, 13.0])
    table = comparison_table({"a": a, "b": b, "c": c})
    lines = verdicts(table, ["lead_time_mean_h"])
    assert len(lines) == 2
    assert "b is 1.75 h faster than a (-15%; 95% CI 1.29–2.21 h; p = 0.001)" in lines[0]
    assert lines[1] == "lead_time_mean_h: c and a are identical in every replication"
    lines = format_comparison(table).splitlines()
    assert lines[:3] == ["[1] a (reference)", "[2] b", "[3] c"]
    # b differs from a (a line of its own); c is identical to a (no line)
    assert any(line.startswith("  [2] - [1]: -1.75 h (95% CI") for line in lines)
    assert not any(line.startswith("  [3] - [1]") for line in lines)


def test_the_terminal_legend_gives_each_title_after_its_name_within_100_columns():
    a, b = kpi_frame([10.0, 11.0, 12.0]), kpi_frame([8.0, 9.5, 10.0])
    table = comparison_table({"a": a, "b": b})
    long = "Via township (hub → station → village), " * 4
    lines = format_comparison(table, titles={"a": "Direct", "b": long}).splitlines()
    assert lines[0] == "[1] a — Direct (reference)"
    assert lines[1].startswith(f"[2] b — {long[:40]}") and lines[1].endswith("…")
    assert max(len(line) for line in lines) <= 100
    # Rows are the same with or without titles: only the legend names differ.
    assert lines[2:] == format_comparison(table).splitlines()[2:]
