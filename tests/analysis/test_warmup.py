"""MSER-5 on synthetic series with known transients, and the daily lead-time series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.warmup import daily_mean_lead_time, mser, text_chart


def test_mser_hand_computed():
    # Batch means (size 2): 10, 1, 1, 1. MSER(0) = (6.75² + 3 × 2.25²) / 4² = 3.796875;
    # MSER(1) = MSER(2) = 0; the first minimum wins.
    result = mser([9, 11, 1, 1, 1, 1, 1, 1, 7], batch=2)  # the trailing 7 is no full batch
    assert result.batch_means.tolist() == [10.0, 1.0, 1.0, 1.0]
    assert result.statistic.tolist() == pytest.approx([3.796875, 0.0, 0.0])
    assert (result.batches_truncated, result.truncation) == (1, 2)


def series(kind: str, seed: int, n: int = 300) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    if kind == "decay":  # bias below 0.1 after ~42 observations
        return 20.0 * np.exp(-t / 8.0) + rng.normal(0.0, 1.0, n)
    if kind == "step":  # exactly 50 observations of start-up
        return np.where(t < 50, 5.0, 0.0) + rng.normal(0.0, 0.5, n)
    return rng.normal(0.0, 1.0, n)


def test_mser5_finds_a_step_transient():
    found = [mser(series("step", seed)).truncation for seed in range(20)]
    assert min(found) >= 50, "never stops inside the transient"
    assert np.median(found) == 50


def test_mser5_truncates_a_decaying_transient():
    found = [mser(series("decay", seed)).truncation for seed in range(20)]
    assert all(15 <= t <= 60 for t in found), found


def test_mser5_keeps_a_stationary_series():
    found = [mser(series("flat", seed)).truncation for seed in range(20)]
    assert np.median(found) == 0 and max(found) <= 30, found


def test_mser_searches_only_the_first_half():
    # Unrestricted, truncating 8 of 10 batches would leave two equal batches (MSER 0).
    means = [1, 1, 1, 1, 1, 1, 1, 5, 0, 0]
    result = mser(np.repeat(means, 5))
    assert len(result.statistic) == 6
    assert result.batches_truncated <= 5


def test_mser_rejects_short_or_gappy_series():
    with pytest.raises(ValueError, match="at least 4 batches"):
        mser(np.ones(19))
    with pytest.raises(ValueError, match=r"position\(s\) \[3\]"):
        mser([1.0, 2.0, 3.0, np.nan, *range(20)])


def test_daily_mean_lead_time_by_hub_arrival_day():
    parcels = pd.DataFrame(
        {
            "t_hub": [1.0, 5.0, 25.0, 30.0, 50.0, 80.0],
            "t_at_point": [5.0, 13.0, 45.0, np.nan, 54.0, 90.0],
        }
    )
    daily = daily_mean_lead_time(parcels, days=3)
    # Day 0: (4 + 8) / 2; day 1: only the delivered parcel (20); day 2: 4.
    assert daily.tolist() == [6.0, 20.0, 4.0]
    assert np.isnan(daily_mean_lead_time(parcels.iloc[:2], days=2)[1])


def test_text_chart_marks_the_warmup():
    chart = text_chart([2.0, 4.0, 1.0], mark=1, width=4)
    lines = chart.splitlines()
    assert lines[1].endswith("##") and lines[3].endswith("####")
    assert "end of suggested warm-up" in lines[2]
