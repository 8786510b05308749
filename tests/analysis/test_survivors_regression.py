"""Tests written for mutants of sim/analysis/regression.py that survived mutation testing.

Expected values are hand calculations: Welch's t and degrees of freedom written out, and
the t distribution with two degrees of freedom in closed form,
F(t) = 1/2 + t / (2 sqrt(2 + t^2)). See docs/testing.md.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from sim.analysis.regression import (
    KpiRule,
    MinEffect,
    default_min_effect,
    judge_kpi,
    welch_worse,
)


def lead_rule(absolute=0.25, relative=0.02):
    return KpiRule("lead_time_mean_h", "higher", MinEffect(absolute, relative))


# --- minimum effects -----------------------------------------------------------------


def test_a_kpi_the_table_does_not_know_needs_two_percent():
    assert default_min_effect("no_such_kpi") == MinEffect(absolute=0.0, relative=0.02)


@pytest.mark.parametrize("mean", [math.nan, math.inf, -math.inf])
def test_the_threshold_of_an_undefined_mean_is_the_absolute_part(mean):
    assert MinEffect(0.25, 0.02).threshold(mean) == 0.25


# --- Welch's test when both samples are constant --------------------------------------


def test_equal_constants_have_no_test():
    # sizes differ, so judge_kpi does not call them identical first
    welch = welch_worse([2.0, 2.0, 2.0], [2.0, 2.0], "higher")
    assert welch.difference == 0.0
    assert all(math.isnan(v) for v in (welch.t, welch.df, welch.p_worse, welch.p_better))


@pytest.mark.parametrize(
    "new, baseline, worse, t, p_worse, p_better",
    [
        # up by 2: t = +inf; "higher is worse" certain, "lower" impossible
        ([3.0, 3.0], [1.0, 1.0], "higher", math.inf, 0.0, 1.0),
        ([3.0, 3.0], [1.0, 1.0], "lower", math.inf, 1.0, 0.0),
        # down by 2: the mirror image
        ([1.0, 1.0], [3.0, 3.0], "higher", -math.inf, 1.0, 0.0),
        ([1.0, 1.0], [3.0, 3.0], "lower", -math.inf, 0.0, 1.0),
    ],
)
def test_a_deterministic_shift_is_certain(new, baseline, worse, t, p_worse, p_better):
    welch = welch_worse(new, baseline, worse)
    assert welch.difference == new[0] - baseline[0]
    assert welch.t == t and math.isnan(welch.df)
    assert (welch.p_worse, welch.p_better) == (p_worse, p_better)


def test_the_far_tail_p_value_is_not_rounded_to_zero():
    # new 1 and 3, baseline 1e9 and 1e9 + 2: both variances 2, n 2 and 2:
    # se = sqrt(2/2 + 2/2) = sqrt(2), df = (1 + 1)^2 / (1/1 + 1/1) = 2,
    # t = (2 - (1e9 + 1)) / sqrt(2); P(T_2 <= t) = 1/2 + t / (2 sqrt(2 + t^2)),
    # written as 1 / (sqrt(2 + t^2) (sqrt(2 + t^2) + |t|)) to keep its digits
    t = (2.0 - (1e9 + 1.0)) / math.sqrt(2.0)
    root = math.sqrt(2.0 + t * t)
    welch = welch_worse([1.0, 3.0], [1e9, 1e9 + 2.0], "higher")
    assert welch.df == pytest.approx(2.0)
    assert welch.p_better == pytest.approx(1.0 / (root * (root + abs(t))), rel=1e-6, abs=0)


# --- judge_kpi's verdicts in words -----------------------------------------------------


def test_a_p_value_exactly_at_the_level_is_not_below_it():
    # new 0 and 2 (mean 1, variance 2), baseline constant 0: t = 1, df = 1
    new, baseline = [0.0, 2.0], [0.0, 0.0]
    alpha = float(stats.ttest_ind(new, baseline, equal_var=False, alternative="greater").pvalue)
    assert alpha == pytest.approx(0.25)  # P(T_1 >= 1) = 1/2 - arctan(1)/pi
    item = judge_kpi(lead_rule(0.0, 0.0), baseline, new, alpha)
    assert item.verdict == "ok"
    assert item.reason.startswith("worse by 1.00 h, within noise")


def test_an_improvement_within_noise_says_better():
    # baseline 2..6 (mean 4), new 1..5 (mean 3): t = -1 with 8 degrees of freedom,
    # P(T_8 <= -1) = 0.1733, not below 0.01
    item = judge_kpi(lead_rule(), [2.0, 3.0, 4.0, 5.0, 6.0], [1.0, 2.0, 3.0, 4.0, 5.0], 0.01)
    assert (item.verdict, item.reason) == (
        "ok",
        "better by 1.00 h, within noise (p = 0.173, not below 0.01)",
    )


def test_a_deterministic_improvement_in_words():
    # constant 10 h -> constant 8 h: 2 h better (-20%); threshold max(0.25, 2% of 10) = 0.25
    item = judge_kpi(lead_rule(), [10.0, 10.0], [8.0, 8.0], 0.01)
    assert (item.verdict, item.reason) == (
        "improved",
        "better by 2.00 h (-20.0%): constant on both sides, a deterministic shift; "
        "beyond the minimum effect 0.250 h",
    )


def test_a_regression_found_by_welch_in_words():
    # baseline 1, 2, 3 (mean 2, variance 1), new 11, 12, 13 (mean 12, variance 1):
    # t = 10 / sqrt(1/3 + 1/3) = 12.247 with 4 degrees of freedom: p = 1.3e-4 < 0.01;
    # change 10 h = +500% of 2 h; threshold max(0.25, 2% of 2) = 0.25 h
    item = judge_kpi(lead_rule(), [1.0, 2.0, 3.0], [11.0, 12.0, 13.0], 0.01)
    assert (item.verdict, item.reason) == (
        "regressed",
        "worse by 10.0 h (+500.0%): one-sided Welch p < 0.001, below the level 0.01; "
        "beyond the minimum effect 0.250 h",
    )
