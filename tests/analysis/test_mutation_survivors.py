"""Tests written for mutants of sim/analysis that survived mutation testing.

Expected values are hand calculations: Student-t quantiles are the printed table values
(t_{0.975,1} = 12.706205, t_{0.975,2} = 4.302653, t_{0.975,4} = 2.776445,
t_{0.95,4} = 2.131847), not the code's output. See docs/testing.md.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from sim.analysis.precision import SequentialResult, relative_half_widths, sequential_replications
from sim.analysis.stats import summarize, t_interval
from sim.analysis.sweep import sweep_table
from sim.analysis.warmup import daily_mean_lead_time, mser, text_chart

T_975_1 = 12.706205
T_975_2 = 4.302653
T_975_4 = 2.776445
T_95_4 = 2.131847


# --- stats.t_interval and stats.summarize ---------------------------------------------


def test_t_interval_of_one_to_five_by_hand():
    # mean 3, sample variance (4+1+0+1+4)/4 = 2.5, half = t * sqrt(2.5 / 5)
    half = T_975_4 * math.sqrt(0.5)
    assert t_interval(np.array([1.0, 2.0, 3.0, 4.0, 5.0])) == pytest.approx(
        (3.0, 3.0 - half, 3.0 + half), rel=1e-6
    )


def test_t_interval_at_90_percent_uses_the_95th_percentile():
    half = T_95_4 * math.sqrt(0.5)
    assert t_interval([1.0, 2.0, 3.0, 4.0, 5.0], 0.90) == pytest.approx(
        (3.0, 3.0 - half, 3.0 + half), rel=1e-6
    )


def test_t_interval_leaves_out_nan_and_infinite_values():
    # finite values 1 and 3: mean 2, sd sqrt(2), n 2: half = t_{0.975,1} * sqrt(2) / sqrt(2)
    mean, low, high = t_interval([1.0, np.nan, 3.0, np.inf, -np.inf])
    assert mean == 2.0
    assert (low, high) == pytest.approx((2.0 - T_975_1, 2.0 + T_975_1), rel=1e-6)


def test_t_interval_of_integers_is_the_float_interval():
    # mean 2, sd 1, n 3
    half = T_975_2 / math.sqrt(3.0)
    assert t_interval([1, 2, 3]) == pytest.approx((2.0, 2.0 - half, 2.0 + half), rel=1e-6)


def test_t_interval_treats_none_as_a_missing_value():
    # an object column, as a KPI table read from JSON with nulls holds: None is NaN
    mean, low, high = t_interval(np.array([1.0, None, 3.0], dtype=object))
    assert mean == 2.0
    assert (low, high) == pytest.approx((2.0 - T_975_1, 2.0 + T_975_1), rel=1e-6)


@pytest.mark.parametrize("values", [[], [np.nan], [np.inf, np.nan]])
def test_t_interval_without_values_is_undefined(values):
    assert all(math.isnan(x) for x in t_interval(np.array(values, dtype=float)))


def test_t_interval_of_one_value_has_its_mean_and_no_interval():
    mean, low, high = t_interval([7.0, np.nan])
    assert mean == 7.0
    assert math.isnan(low) and math.isnan(high)


def test_summarize_by_hand():
    kpis = pd.DataFrame(
        {
            "replication": [0, 1, 2],
            "seed": [11, 12, 13],
            "a": [1.0, 2.0, 3.0],
            "b": [2.0, np.nan, 6.0],
        }
    )
    table = summarize(kpis)
    assert list(table.columns) == ["kpi", "mean", "ci_low", "ci_high", "n"]
    assert table["kpi"].tolist() == ["a", "b"]  # replication and seed are not KPIs
    half_a = T_975_2 / math.sqrt(3.0)  # mean 2, sd 1, n 3
    half_b = T_975_1 * math.sqrt(8.0) / math.sqrt(2.0)  # 2 and 6: mean 4, sd sqrt(8), n 2
    expected = [(2.0, 2.0 - half_a, 2.0 + half_a), (4.0, 4.0 - half_b, 4.0 + half_b)]
    for row, (mean, low, high) in zip(table.itertuples(), expected, strict=True):
        assert (row.mean, row.ci_low, row.ci_high) == pytest.approx((mean, low, high), rel=1e-6)
    assert table["n"].tolist() == [3, 3]  # the replication count (rows of the table)


def test_summarize_named_columns_only():
    kpis = pd.DataFrame({"replication": [0, 1], "a": [1.0, 1.0], "b": [1.0, 3.0]})
    table = summarize(kpis, ["b"])
    assert table["kpi"].tolist() == ["b"]
    # 1 and 3: mean 2, sd sqrt(2), n 2
    assert table.loc[0, ["mean", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [2.0, 2.0 - T_975_1, 2.0 + T_975_1], rel=1e-6
    )
    assert table.loc[0, "n"] == 2


# --- sweep.sweep_table -----------------------------------------------------------------


def test_sweep_table_messages_name_the_counts_and_the_clashes():
    with pytest.raises(ValueError, match="^2 points but 1 KPI tables$"):
        sweep_table(pd.DataFrame({"p": [1, 2]}), [pd.DataFrame({"x": [1.0]})], ["x"])
    with pytest.raises(ValueError, match="may not be named kpi, mean$"):
        sweep_table(pd.DataFrame({"mean": [1], "kpi": [1]}), [pd.DataFrame({"x": [1.0]})], ["x"])


def test_sweep_table_passes_the_level_on():
    points = pd.DataFrame({"p": [1]})
    table = sweep_table(points, [pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0]})], ["x"], 0.90)
    half = T_95_4 * math.sqrt(0.5)
    assert (table.loc[0, "ci_low"], table.loc[0, "ci_high"]) == pytest.approx(
        (3.0 - half, 3.0 + half), rel=1e-6
    )


def test_sweep_table_without_kpis_keeps_its_columns():
    table = sweep_table(pd.DataFrame({"p": [1, 2]}), [pd.DataFrame(), pd.DataFrame()], [])
    assert table.empty
    assert list(table.columns) == ["p", "kpi", "mean", "ci_low", "ci_high", "n"]


# --- precision ---------------------------------------------------------------------------


def test_relative_half_widths_by_hand():
    kpis = {
        "A": pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "z": [0.0, 0.0, 0.0, 0.0, 0.0]}),
        "B": pd.DataFrame({"x": [0.5, 1.5, 0.5, 1.5, 1.0], "z": [2.0] * 5}),
    }
    table = relative_half_widths(kpis, ["x", "z"], level=0.90)
    assert list(table.columns) == ["scenario", "kpi", "mean", "half_width", "relative"]
    assert table["scenario"].tolist() == ["A", "A", "B", "B"]
    assert table["kpi"].tolist() == ["x", "z", "x", "z"]
    assert table["mean"].tolist() == pytest.approx([3.0, 0.0, 1.0, 2.0])
    half_a = T_95_4 * math.sqrt(0.5)  # mean 3, variance 2.5
    # B.x: deviations -0.5, 0.5, -0.5, 0.5, 0 -> sum of squares 1.0, variance 0.25, sd 0.5
    half_b = T_95_4 * 0.5 / math.sqrt(5.0)
    assert table["half_width"].tolist() == pytest.approx([half_a, 0.0, half_b, 0.0], rel=1e-6)
    # a mean of 1 is an ordinary mean; every replication equal (even all zero): relative 0
    assert table["relative"].tolist() == pytest.approx([half_a / 3.0, 0.0, half_b, 0.0], rel=1e-6)


def test_relative_half_widths_of_nothing_has_the_columns():
    table = relative_half_widths({}, ["x"])
    assert list(table.columns) == ["scenario", "kpi", "mean", "half_width", "relative"]


def constant_run(value: float = 1.0):
    def run(n):
        return {"A": pd.DataFrame({"x": [value] * n})}

    return run


def test_sequential_messages_name_the_bad_value():
    with pytest.raises(ValueError, match="^precision must be positive, got 0$"):
        sequential_replications(constant_run(), ["x"], 0, 10)
    with pytest.raises(ValueError, match="^max_replications must be at least 2, got 1$"):
        sequential_replications(constant_run(), ["x"], 0.1, 1)
    with pytest.raises(ValueError, match="^batch must be at least 1, got 0$"):
        sequential_replications(constant_run(), ["x"], 0.1, 10, batch=0)


def test_sequential_smallest_cap_and_batch_are_allowed():
    calls = []

    def run(n):
        calls.append(n)
        # replications 1, 2, 3, ...: never precise to 1e-9
        return {"A": pd.DataFrame({"x": np.arange(1.0, n + 1.0)})}

    _, result = sequential_replications(run, ["x"], 1e-9, 2)
    assert (result.replications, result.reached, result.steps) == (2, False, (2,))
    calls.clear()
    _, result = sequential_replications(run, ["x"], 1e-9, 4, batch=1)
    # a first step of one replication is raised to two, then one at a time
    assert result.steps == (2, 3, 4)
    assert calls == [2, 3, 4]


def test_sequential_passes_the_level_on():
    # 1..5 and 6..10 per replication pair: at n = 5 the values are 1, 2, 3, 4, 5:
    # relative half-width at 95%: 2.776445 * sqrt(0.5) / 3 = 0.6544; at 90%: 0.5025
    def run(n):
        return {"A": pd.DataFrame({"x": np.arange(1.0, n + 1.0)})}

    _, at_90 = sequential_replications(run, ["x"], 0.55, 5, batch=5, level=0.90)
    _, at_95 = sequential_replications(run, ["x"], 0.55, 5, batch=5)
    assert at_90.reached and not at_95.reached


def test_sequential_precision_is_reached_at_equality():
    # one finite value per table: the half-width cannot be computed, relative is infinite;
    # an infinite precision is met with equality ("at most precision")
    def run(n):
        return {"A": pd.DataFrame({"x": [1.0] + [np.nan] * (n - 1)})}

    _, result = sequential_replications(run, ["x"], np.inf, 20)
    assert result.reached and result.steps == (5,)


def widths(rows):
    return pd.DataFrame(rows, columns=["scenario", "kpi", "mean", "half_width", "relative"])


def test_summary_not_reached_counts_only_strictly_wider_means():
    table = widths(
        [
            ("A", "lead", 1.0, 0.05, 0.05),  # exactly the precision: not counted
            ("B", "lead", 1.0, 0.10, 0.10),
            ("B", "cost", 1.0, 0.01, 0.01),
        ]
    )
    result = SequentialResult(10, False, 0.05, (5, 10), table)
    assert result.summary() == (
        "precision NOT reached: stopped at the cap of 10 replications; "
        "1 KPI mean(s) still wider than ±5% (widest: B lead ±10.0%)"
    )


def test_summary_reached_names_the_first_of_equally_wide_means():
    table = widths(
        [
            ("A", "lead", 1.0, 0.01, 0.01),
            ("A", "cost", 1.0, 0.02, 0.02),
            ("B", "lead", 1.0, 0.02, 0.02),
        ]
    )
    result = SequentialResult(15, True, 0.025, (5, 10, 15), table)
    assert result.summary() == (
        "precision reached: 15 replications bring every named KPI within ±2.5% of its "
        "mean (widest: A cost ±2.0%)"
    )


# --- warmup --------------------------------------------------------------------------------


def test_daily_mean_lead_time_by_hand():
    parcels = pd.DataFrame(
        {
            # day 0: leads 2 and 4 -> 3; 24.5 h is day 1 (lead 1); day 2 has none
            "t_hub": [1.0, 23.0, 24.5, 30.0],
            "t_at_point": [3.0, 27.0, 25.5, np.nan],
        }
    )
    series = daily_mean_lead_time(parcels, 3)
    assert series[:2].tolist() == [3.0, 1.0]
    assert math.isnan(series[2])


def test_daily_mean_lead_time_with_only_the_first_day():
    parcels = pd.DataFrame({"t_hub": [2.0], "t_at_point": [7.0]})
    series = daily_mean_lead_time(parcels, 3)
    assert series[0] == 5.0 and np.isnan(series[1:]).all()


def test_mser_by_hand():
    # batch means 10, 2, 2, 2: MSER(0) = (36 + 3 * 4) / 16 = 3, MSER(1) = MSER(2) = 0
    series = [10.0] * 5 + [2.0] * 15
    result = mser(series)
    assert result.batch == 5
    assert (result.batches_truncated, result.truncation) == (1, 5)
    assert result.statistic.tolist() == pytest.approx([3.0, 0.0, 0.0])


def test_mser_one_is_allowed():
    result = mser([10, 2, 2, 2], batch=1)
    assert (result.batch, result.truncation) == (1, 1)


def test_mser_messages():
    with pytest.raises(ValueError, match="^batch size must be at least 1, got 0$"):
        mser([1.0] * 20, batch=0)
    with pytest.raises(
        ValueError, match=r"at least 4 batches of 5 \(20 observations\); the series has 19"
    ):
        mser([1.0] * 19)
    # None is a missing value (NaN), named by its position
    with pytest.raises(ValueError, match=r"position\(s\) \[1\]"):
        mser([1.0, None] + [1.0] * 18)


def test_text_chart_by_hand():
    chart = text_chart([2.0, 4.0, np.nan, -1.0], mark=2, width=10)
    assert chart.split("\n") == [
        " day   mean h",
        "   0     2.00 #####",  # 10 * 2 / 4
        "   1     4.00 ##########",
        "              ---------- end of suggested warm-up",
        "   2      n/a",
        "   3    -1.00 ",
    ]


def test_text_chart_defaults_and_edges():
    assert text_chart([1.0]).split("\n")[1] == "   0     1.00 " + "#" * 40
    # no line before the first day, nor without a mark
    assert "warm-up" not in text_chart([1.0, 2.0], mark=0)
    assert "warm-up" not in text_chart([1.0, 2.0])
    # all zero or all missing: no bars, no division by zero
    assert text_chart([0.0, 0.0], width=5).split("\n")[1:] == ["   0     0.00 ", "   1     0.00 "]
    assert text_chart([np.nan]).split("\n")[1:] == ["   0      n/a"]
    # rounding: 10 * 1 / 3 = 3.33 -> 3 bars, 10 * 2 / 3 = 6.67 -> 7 bars
    assert text_chart([1.0, 2.0, 3.0], width=10).split("\n")[1:3] == [
        "   0     1.00 ###",
        "   1     2.00 #######",
    ]


# --- kpi_table: wrapping, the text and Markdown tables, the README updater --------------


def test_width_counts_wide_and_fullwidth_characters_twice():
    from sim.analysis.kpi_table import _width

    assert _width("统计ab") == 6
    assert _width("ＡＢ") == 4  # fullwidth Latin letters
    assert _width("°a") == 2  # ambiguous width counts one


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("a", 5, ["a"]),
        ("", 5, [""]),
        ("   ", 5, [""]),
        ("ab cd", 5, ["ab cd"]),  # exactly the width fits
        ("aaaa b", 4, ["aaaa", "b"]),  # the space at the break is dropped
        ("aaa bbbb", 4, ["aaa", "bbbb"]),  # no trailing space
        ("ab ", 5, ["ab"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),  # a word longer than the column
        ("abcdefgh ij", 4, ["abcd", "efgh", "ij"]),
        ("统计期内包裹数", 6, ["统计期", "内包裹", "数"]),  # anywhere between wide characters
        # a closing mark may not start a line: it takes the character before it along
        ("统计期，内", 6, ["统计", "期，内"]),
        ("统计，", 4, ["统", "计，"]),
        ("统，", 2, ["统", "，"]),  # ... unless that would leave the line empty
        ("甲，。、", 6, ["甲", "，。、"]),  # several closing marks in a row
        ("甲乙丙，。", 8, ["甲乙", "丙，。"]),
        ("甲乙丙，。、", 10, ["甲乙", "丙，。、"]),
    ],
)
def test_wrap_by_hand(text, width, lines):
    from sim.analysis.kpi_table import _wrap

    assert _wrap(text, width) == lines


def test_text_table_layout():
    from sim.analysis.kpi_table import KPIS, _width, text_table

    for lang, head in [
        ("en", ["KPI", "unit", "better", "meaning"]),
        ("zh", ["指标", "单位", "方向", "含义"]),
    ]:
        for width in (100, 70):
            table = text_table(lang, width) if (lang, width) != ("en", 100) else text_table()
            lines = table.split("\n")
            assert table.endswith("\n") and lines[-1] == ""
            lines = lines[:-1]
            assert lines[0].split() == head
            start = lines[0].index(head[3])  # the meaning column: its display column
            start_cols = _width(lines[0][:start])
            rest = width - start_cols  # columns left for the meaning
            assert rest >= 20
            assert all(_width(line) <= width for line in lines)
            # greedy wrapping: a continuation line's first word did not fit on the line before
            for before, after in zip(lines, lines[1:], strict=False):
                if lang == "en" and after.startswith(" ") and after.strip():
                    previous = before[start:]
                    word = after[start:].split(" ")[0]
                    assert len(previous) + 1 + len(word) > rest, (before, after)
            names = [line.split()[0] for line in lines[1:] if not line.startswith(" ")]
            assert names == [k.name for k in KPIS]


def test_text_table_rows_in_chinese():
    from sim.analysis.kpi_table import text_table

    rows = {
        line.split()[0]: line.split() for line in text_table("zh").split("\n") if line[:1].strip()
    }
    assert rows["lead_time_mean_h"][1:3] == ["小时", "越低越好"]
    assert rows["on_time_24h_share"][1:3] == ["比例（%）", "越高越好"]
    assert rows["parcels_generated"][1:3] == ["件", "中性"]


def test_text_table_narrow_keeps_a_meaning_column_of_20():
    from sim.analysis.kpi_table import _width, text_table

    lines = text_table("en", 10).split("\n")[:-1]
    start = lines[0].index("meaning")
    chunks = [line[start:] for line in lines[1:]]
    assert max(_width(c) for c in chunks) == 20  # some meaning line fills the 20 columns
    with pytest.raises(ValueError, match=r"^unknown language 'fr' \(known: en, zh\)$"):
        text_table("fr")


def test_unit_and_better_text_default_to_english():
    from sim.analysis.kpi_table import better_text, get, unit_text

    share = get("on_time_24h_share")
    assert (unit_text(share), better_text(share)) == ("share (%)", "higher")
    assert unit_text(get("lead_time_mean_h")) == "h"
    assert get("no_such_kpi") is None


def test_markdown_table_rows_and_escaped_bars(monkeypatch):
    import sim.analysis.kpi_table as kt

    zh = kt.markdown_table("zh").split("\n")
    assert "| `lead_time_mean_h` | 小时 | 越低越好 |" in "\n".join(zh)
    kpi = kt.Kpi("x_h", "h", "lower", False, "X", "X", "a | b", "甲 | 乙")
    monkeypatch.setattr(kt, "KPIS", (kpi,))
    assert kt.markdown_table() == (
        "| KPI | unit | better | meaning |\n| --- | --- | --- | --- |\n"
        "| `x_h` | h | lower | a \\| b |\n"
    )


def test_readme_update_and_main(tmp_path, capsys):
    from sim.analysis.kpi_table import END, START, main, markdown_table, update_readme

    table = markdown_table()
    readme = tmp_path / "README.md"
    stale = f"intro\n{START}\nold\n{END}\nmiddle\n{START}\nsecond\n{END}\nend\n"
    readme.write_text(stale, encoding="utf-8")
    # only the first region is the table's
    fresh = f"intro\n{START}\n{table}{END}\nmiddle\n{START}\nsecond\n{END}\nend\n"
    assert update_readme(stale) == fresh
    assert main(["--readme", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == fresh
    assert capsys.readouterr().out == f"{readme}: KPI table updated\n"
    assert main(["--readme", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8") == fresh
    assert capsys.readouterr().out == f"{readme}: KPI table already up to date\n"
    assert main([]) == 0
    assert capsys.readouterr().out == table
    with pytest.raises(SystemExit):
        main(["--no-such-option"])


# --- second round: None as a missing value, warnings, ties, small values --------------


def test_sweep_table_treats_none_as_a_missing_value():
    kpis = [pd.DataFrame({"x": np.array([1.0, None, 3.0], dtype=object)})]
    table = sweep_table(pd.DataFrame({"p": [1]}), kpis, ["x"])
    assert table.loc[0, "n"] == 2 and table.loc[0, "mean"] == 2.0


def test_relative_half_width_of_a_zero_mean_is_infinite_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = relative_half_widths({"A": pd.DataFrame({"x": [-1.0, 1.0]})}, ["x"])
    assert table.loc[0, "mean"] == 0.0 and table.loc[0, "half_width"] > 0
    assert table.loc[0, "relative"] == np.inf


def test_summary_names_the_first_of_many_equally_wide_means():
    # 100 narrow rows, then 100 equally wide ones: the first wide row is named
    rows = [("A", f"k{i}", 1.0, 0.0, 0.0) for i in range(100)]
    rows += [("B", f"k{i}", 1.0, 0.5, 0.5) for i in range(100, 200)]
    result = SequentialResult(10, False, 0.1, (5, 10), widths(rows))
    assert result.summary().endswith("(widest: B k100 ±50.0%)")


def test_text_chart_none_small_values_and_no_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert text_chart([np.nan]).split("\n")[1:] == ["   0      n/a"]
        assert text_chart([1.0, None], width=4).split("\n")[1:] == [
            "   0     1.00 ####",
            "   1      n/a",
        ]
    # values below 1: the longest bar is still the largest value's
    assert text_chart([0.5, 0.25], width=10).split("\n")[1:] == [
        "   0     0.50 ##########",
        "   1     0.25 #####",
    ]


def test_kpi_table_command_help(capsys):
    from sim.analysis.kpi_table import main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m sim.analysis.kpi_table [-h] [--readme README]")
    assert re.search(r"--readme README\s+rewrite the KPI table region of this file$", out, re.M)


# --- regression: minimum effects in words, amounts, and judge_kpi's numbers ------------


def test_min_effect_in_words():
    from sim.analysis.regression import MinEffect

    assert MinEffect(0.01, 0.0).describe("on_time_24h_share") == "1 pp"
    assert MinEffect(0.25, 0.02).describe("lead_time_mean_h") == "0.25 h and 2%"
    assert MinEffect(0.0, 0.05).describe("vehicle_km") == "5%"
    assert MinEffect().describe("lead_time_mean_h") == "none"


def test_amounts_and_percentages_in_words():
    from sim.analysis.regression import amount_text, percent_text

    assert amount_text("on_time_24h_share", 0.025) == "2.50 pp"  # 2.5 percentage points
    assert amount_text("lead_time_mean_h", 0.3) == "0.300 h"
    assert amount_text("parcels_delivered", 1234.4) == "1,234"  # counts have no unit
    assert percent_text(0.5, 2.0) == " (+25.0%)"
    assert percent_text(-0.5, -2.0) == " (-25.0%)"  # relative to the base's size
    assert percent_text(1.0, 0.0) == ""
    assert percent_text(1.0, np.nan) == ""


def lead_rule():
    from sim.analysis.regression import KpiRule, MinEffect

    return KpiRule("lead_time_mean_h", "higher", MinEffect(0.25, 0.02))


def test_judge_kpi_numbers_by_hand():
    from sim.analysis.regression import judge_kpi

    # baseline 1..5, new 2..6: means 3 and 4, both variances 2.5, n 5 and 5:
    # t = 1 / sqrt(0.5 + 0.5) = 1 with 8 degrees of freedom: P(T_8 >= 1) = 0.1733
    item = judge_kpi(lead_rule(), [1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 3.0, 4.0, 5.0, 6.0], 0.01)
    half = T_975_4 * math.sqrt(0.5)
    assert item.baseline == pytest.approx((3.0, 3.0 - half, 3.0 + half), rel=1e-6)
    assert item.new == pytest.approx((4.0, 4.0 - half, 4.0 + half), rel=1e-6)
    assert (item.worse, item.alpha, item.baseline_n, item.new_n) == ("higher", 0.01, 5, 5)
    assert item.change == pytest.approx(1.0)
    assert item.relative_change == pytest.approx(1.0 / 3.0)
    assert item.p_value == pytest.approx(0.1733, abs=5e-5)
    assert item.threshold == 0.25  # max(0.25 h, 2% of 3 h)
    assert (item.verdict, item.reason) == (
        "ok",
        "worse by 1.00 h, within noise (p = 0.173, not below 0.01)",
    )


def test_judge_kpi_relative_change_of_a_zero_baseline_mean_is_undefined():
    from sim.analysis.regression import judge_kpi

    item = judge_kpi(lead_rule(), [-1.0, 1.0], [5.0, 6.0], 0.01)
    assert item.change == pytest.approx(5.5)
    assert math.isnan(item.relative_change)


def test_judge_kpi_edges_of_comparability():
    from sim.analysis.regression import judge_kpi

    item = judge_kpi(lead_rule(), None, [1.0, 2.0], 0.01)
    assert (item.verdict, item.reason) == (
        "not comparable",
        "the baseline file has no values for this KPI",
    )
    item = judge_kpi(lead_rule(), [1.0, 2.0], [1.0, None], 0.01)
    assert (item.verdict, item.reason) == (
        "not comparable",
        "needs 2 replications with a value on each side (baseline 2, new 1)",
    )
    # two values on each side are enough
    for baseline, new in [([1.0, 2.0], [1.0, 2.0]), ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])]:
        item = judge_kpi(lead_rule(), baseline, new, 0.01)
        assert (item.verdict, item.reason) == ("ok", "identical in every replication")
        assert (item.change, item.relative_change) == (0.0, 0.0)
    item = judge_kpi(lead_rule(), [1.0, 2.0, 3.0], [1.0, 2.0], 0.01)
    assert item.verdict == "ok" and item.new_n == 2
    item = judge_kpi(lead_rule(), [2.0, 2.0], [2.0, 2.0, 2.0], 0.01)
    assert (item.verdict, item.reason, item.change) == (
        "ok",
        "the same constant value in every replication",
        0.0,
    )


def test_judge_kpi_no_change_and_exactly_the_minimum_effect():
    from sim.analysis.regression import judge_kpi

    item = judge_kpi(lead_rule(), [2.0, 2.0], [1.0, 3.0], 0.01)  # means 2 and 2
    assert (item.verdict, item.reason, item.change) == ("ok", "no change in the mean", 0.0)
    # means 1.5 -> 1.75: a change of exactly the minimum effect 0.25 h does not count
    item = judge_kpi(lead_rule(), [1.0, 2.0], [1.25, 2.25], 0.01)
    assert (item.verdict, item.reason) == (
        "ok",
        "worse by 0.250 h, not more than the minimum effect 0.250 h",
    )
    item = judge_kpi(lead_rule(), [1.0, 2.0], [0.75, 1.75], 0.01)
    assert (item.verdict, item.reason) == (
        "ok",
        "better by 0.250 h, not more than the minimum effect 0.250 h",
    )
