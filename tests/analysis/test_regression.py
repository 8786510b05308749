"""The regression rule on synthetic numbers, and the baseline file format."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import KPI_NAMES
from sim.analysis.regression import (
    DEFAULT_KPIS,
    KpiRule,
    MinEffect,
    check_kpis,
    default_min_effect,
    judge_kpi,
    welch_worse,
)
from sim.checking.baselines import (
    FORMAT_VERSION,
    baseline_record,
    read_baseline,
    write_baseline,
)
from sim.checking.errors import (
    BaselineError,
    CheckError,
)
from sim.checking.options import (
    make_rule,
    parse_kpi,
    parse_min_effect,
)
from sim.checking.text import (
    format_verdicts,
)

# --------------------------------------------------------------------------- Welch's test


def _samples(seed: int):
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(2, 15, size=2)
    new = rng.normal(rng.normal(0, 1), rng.uniform(0.05, 3), size=n1)
    base = rng.normal(0, rng.uniform(0.05, 3), size=n2)
    return new, base


@pytest.mark.parametrize("seed", range(40))
def test_welch_matches_scipy_in_both_directions(seed):
    new, base = _samples(seed)
    for worse, alternative in (("higher", "greater"), ("lower", "less")):
        other = "less" if alternative == "greater" else "greater"
        ours = welch_worse(new, base, worse)
        theirs = stats.ttest_ind(new, base, equal_var=False, alternative=alternative)
        opposite = stats.ttest_ind(new, base, equal_var=False, alternative=other)
        assert ours.p_worse == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-15)
        assert ours.p_better == pytest.approx(opposite.pvalue, rel=1e-9, abs=1e-15)
        assert ours.t == pytest.approx(theirs.statistic, rel=1e-12)
        assert ours.df == pytest.approx(theirs.df, rel=1e-12)
        assert ours.difference == pytest.approx(new.mean() - base.mean(), abs=1e-12)


def test_welch_degrees_of_freedom_by_hand():
    # s1^2 = 1 (n1 = 3), s2^2 = 4 (n2 = 5): v1 = 1/3, v2 = 4/5.
    new = np.array([1.0, 2.0, 3.0])
    base = np.array([-2.0, -2.0, 0.0, 2.0, 2.0])
    test = welch_worse(new, base, "higher")
    v1, v2 = 1 / 3, 4 / 5
    assert test.t == pytest.approx(2.0 / math.sqrt(v1 + v2))
    assert test.df == pytest.approx((v1 + v2) ** 2 / (v1**2 / 2 + v2**2 / 4))


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy, constant side
def test_one_constant_side_matches_scipy():
    new = np.array([5.0, 5.2, 4.9, 5.4])
    base = np.array([5.0, 5.0, 5.0])
    ours = welch_worse(new, base, "higher")
    theirs = stats.ttest_ind(new, base, equal_var=False, alternative="greater")
    assert ours.p_worse == pytest.approx(theirs.pvalue)
    assert ours.df == pytest.approx(3.0)  # all the variance is on the new side: n1 - 1


def test_both_constant_sides():
    identical = welch_worse([2.0, 2.0], [2.0, 2.0, 2.0], "higher")
    assert math.isnan(identical.p_worse) and math.isnan(identical.p_better)
    up = welch_worse([3.0, 3.0], [2.0, 2.0], "higher")
    assert (up.p_worse, up.p_better, up.difference) == (0.0, 1.0, 1.0)
    up_but_higher_is_better = welch_worse([3.0, 3.0], [2.0, 2.0], "lower")
    assert (up_but_higher_is_better.p_worse, up_but_higher_is_better.p_better) == (1.0, 0.0)


def test_welch_needs_two_values_a_side():
    with pytest.raises(ValueError, match="two values"):
        welch_worse([1.0], [1.0, 2.0], "higher")


# --------------------------------------------------------------------------- one KPI

LEAD = KpiRule("lead_time_mean_h", "higher", MinEffect(0.25, 0.02))
SHARE = KpiRule("on_time_24h_share", "lower", MinEffect(0.01))
TIGHT = np.array([10.0, 10.01, 9.99, 10.02, 9.98, 10.0])  # mean 10, sd ~0.014


def test_min_effect_threshold_is_the_larger_part():
    effect = MinEffect(0.25, 0.02)
    assert effect.threshold(10.0) == pytest.approx(0.25)  # 2% of 10 h is 0.2 h
    assert effect.threshold(40.0) == pytest.approx(0.8)  # 2% of 40 h
    assert effect.threshold(-40.0) == pytest.approx(0.8)
    assert MinEffect(0.01).threshold(0.9) == 0.01
    assert MinEffect().threshold(float("nan")) == 0.0


def test_defaults():
    assert default_min_effect("lead_time_p90_h") == MinEffect(0.25, 0.02)
    assert default_min_effect("door_time_mean_h") == MinEffect(0.25, 0.02)
    assert default_min_effect("on_time_48h_share") == MinEffect(0.01, 0.0)
    assert default_min_effect("cost_per_parcel_cny") == MinEffect(0.0, 0.02)
    rule = make_rule()
    assert [r.kpi for r in rule.kpis] == list(DEFAULT_KPIS)
    assert rule.level == 0.01
    assert rule.per_kpi_level == pytest.approx(0.01 / 7)
    worse = {r.kpi: r.worse for r in rule.kpis}
    assert worse["lead_time_p95_h"] == "higher" and worse["on_time_24h_share"] == "lower"


def test_a_clear_slowdown_regresses():
    verdict = judge_kpi(LEAD, TIGHT, TIGHT + 1.0, alpha=0.001)
    assert verdict.verdict == "regressed"
    assert verdict.change == pytest.approx(1.0)
    assert verdict.relative_change == pytest.approx(0.1)
    assert verdict.threshold == pytest.approx(0.25)
    assert verdict.p_value < 1e-6


def test_a_significant_change_below_the_minimum_effect_is_ok():
    verdict = judge_kpi(LEAD, TIGHT, TIGHT + 0.2, alpha=0.001)  # 0.2 h < 0.25 h
    assert verdict.p_value < 1e-6  # clearly significant ...
    assert verdict.verdict == "ok"  # ... but too small to matter
    assert "minimum effect" in verdict.reason


def test_the_relative_part_applies_to_long_times():
    base = TIGHT * 4  # mean 40 h: the minimum effect is 2% = 0.8 h
    assert judge_kpi(LEAD, base, base + 0.6, alpha=0.001).verdict == "ok"
    assert judge_kpi(LEAD, base, base + 1.0, alpha=0.001).verdict == "regressed"


def test_a_large_change_within_noise_is_ok():
    base = np.array([8.0, 12.0, 9.0, 11.0])
    verdict = judge_kpi(LEAD, base, base + 1.0, alpha=0.001)  # 1 h, but sd ~1.8 h
    assert verdict.verdict == "ok"
    assert "noise" in verdict.reason
    expected = stats.ttest_ind(base + 1.0, base, equal_var=False, alternative="greater").pvalue
    assert verdict.p_value == pytest.approx(expected)


def test_an_improvement_is_improved_not_regressed():
    verdict = judge_kpi(LEAD, TIGHT, TIGHT - 1.0, alpha=0.001)
    assert verdict.verdict == "improved"
    assert verdict.change == pytest.approx(-1.0)
    # the p-value shown is that of "better", the direction the mean moved
    expected = stats.ttest_ind(TIGHT - 1.0, TIGHT, equal_var=False, alternative="less").pvalue
    assert verdict.p_value == pytest.approx(expected)


def test_a_share_regresses_downwards():
    base = np.array([0.90, 0.905, 0.895, 0.90, 0.902])
    assert judge_kpi(SHARE, base, base - 0.03, alpha=0.001).verdict == "regressed"
    assert judge_kpi(SHARE, base, base + 0.03, alpha=0.001).verdict == "improved"
    assert judge_kpi(SHARE, base, base - 0.005, alpha=0.001).verdict == "ok"  # < 1 pp


def test_zero_variance_on_both_sides():
    same = judge_kpi(LEAD, [5.0] * 4, [5.0] * 4, alpha=0.001)
    assert (same.verdict, same.reason) == ("ok", "identical in every replication")
    assert math.isnan(same.p_value)
    shifted = judge_kpi(LEAD, [5.0] * 4, [5.5] * 4, alpha=0.001)  # deterministic +0.5 h
    assert shifted.verdict == "regressed" and shifted.p_value == 0.0
    assert "deterministic shift" in shifted.reason
    small = judge_kpi(LEAD, [5.0] * 4, [5.1] * 4, alpha=0.001)  # deterministic +0.1 h
    assert small.verdict == "ok"
    assert judge_kpi(SHARE, [1.0] * 3, [0.95] * 3, alpha=0.001).verdict == "regressed"


def test_missing_values_are_left_out_and_too_few_are_not_comparable():
    with_gaps = judge_kpi(LEAD, [*TIGHT, None], [*(TIGHT + 1.0), float("nan")], alpha=0.001)
    assert with_gaps.verdict == "regressed"
    assert (with_gaps.baseline_n, with_gaps.new_n) == (6, 6)
    empty = judge_kpi(LEAD, TIGHT, [float("nan")] * 6, alpha=0.001)
    assert empty.verdict == "not comparable"
    absent = judge_kpi(LEAD, None, TIGHT, alpha=0.001)
    assert absent.verdict == "not comparable"
    assert "baseline" in absent.reason


def test_check_kpis_uses_alpha_over_k():
    # A shift whose one-sided p-value is 0.0075: below 0.01 / 1, above 0.01 / 2.
    base = np.random.default_rng(3).normal(10, 0.5, 8)
    df = 2 * (len(base) - 1)  # equal sizes and variances: Welch's df is 2(n - 1)
    shift = stats.t.isf(0.0075, df) * base.std(ddof=1) * math.sqrt(2 / len(base))
    p = stats.ttest_ind(base + shift, base, equal_var=False, alternative="greater").pvalue
    assert p == pytest.approx(0.0075)
    new = pd.DataFrame({"lead_time_mean_h": base + shift, "lead_time_p90_h": base})
    one = make_rule(["lead_time_mean_h"], 0.01, {"lead_time_mean_h": MinEffect()})
    two = make_rule(
        ["lead_time_mean_h", "lead_time_p90_h"], 0.01, {"lead_time_mean_h": MinEffect()}
    )
    baseline = {"lead_time_mean_h": list(base), "lead_time_p90_h": list(base)}
    assert check_kpis(one, baseline, new)[0].verdict == "regressed"
    assert check_kpis(two, baseline, new)[0].verdict == "ok"
    assert check_kpis(two, baseline, new)[1].reason == "identical in every replication"


def test_false_alarm_rate_of_the_rule_on_pure_noise_is_within_its_level():
    """Seven independent normal KPIs, both samples from one distribution, no minimum effect.

    The rule's promise: P(any KPI flagged) <= alpha. With 1000 independent trials
    and alpha = 0.2 the count of false alarms is at most Binomial(1000, 0.2); the
    assertion fails with probability below 0.1% if the promise holds. The exact
    rate here (Bonferroni over independent KPIs, Welch slightly conservative) is
    about 0.17 (scipy simulation), so a rule that never flags fails the second
    assertion; one without the Bonferroni division (~0.6) or two-sided (~0.34)
    fails the first.
    """
    alpha, trials, n = 0.2, 1000, 6
    rule = make_rule(None, alpha, {k: MinEffect() for k in DEFAULT_KPIS})
    rng = np.random.default_rng(20261129)
    alarms = 0
    for _ in range(trials):
        base = rng.normal(10, 1, size=(n, len(DEFAULT_KPIS)))
        new = pd.DataFrame(rng.normal(10, 1, size=(n, len(DEFAULT_KPIS))), columns=DEFAULT_KPIS)
        verdicts = check_kpis(rule, {k: list(base[:, i]) for i, k in enumerate(DEFAULT_KPIS)}, new)
        alarms += any(v.verdict == "regressed" for v in verdicts)
    assert stats.binom.sf(alarms - 1, trials, alpha) > 0.001, f"{alarms} false alarms"
    assert alarms / trials > 0.1


# --------------------------------------------------------------------------- options


def test_parse_kpi():
    assert parse_kpi("lead_time_p90_h") == ("lead_time_p90_h", None)
    assert parse_kpi("vehicle_km:higher-is-worse") == ("vehicle_km", "higher")
    assert parse_kpi("sorting_utilization:lower-is-worse") == ("sorting_utilization", "lower")
    with pytest.raises(CheckError, match="unknown KPI 'speed'"):
        parse_kpi("speed")
    with pytest.raises(CheckError, match="higher-is-worse"):
        parse_kpi("vehicle_km:higher")


def test_a_kpi_direction_can_be_given_and_must_be_for_neutral_kpis():
    rule = make_rule(["lead_time_mean_h:lower-is-worse", "sorting_utilization:higher-is-worse"])
    assert [(r.kpi, r.worse) for r in rule.kpis] == [
        ("lead_time_mean_h", "lower"),
        ("sorting_utilization", "higher"),
    ]
    with pytest.raises(CheckError, match="no better or worse direction"):
        make_rule(["sorting_utilization"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lead_time_p90_h=0.5", MinEffect(0.5, 0.0)),
        ("lead_time_p90_h=5%", MinEffect(0.0, 0.05)),
        ("lead_time_p90_h=0.5,5%", MinEffect(0.5, 0.05)),
        ("lead_time_p90_h=5% , 0.5", MinEffect(0.5, 0.05)),
        ("lead_time_p90_h=0", MinEffect(0.0, 0.0)),
        ("on_time_24h_share=2pp", MinEffect(0.02, 0.0)),
        ("on_time_24h_share=0.02", MinEffect(0.02, 0.0)),
        ("cost_per_parcel_cny=1e-1", MinEffect(0.1, 0.0)),
    ],
)
def test_parse_min_effect(text, expected):
    name, effect = parse_min_effect(text)
    assert name == text.split("=")[0]
    assert effect.absolute == pytest.approx(expected.absolute)
    assert effect.relative == pytest.approx(expected.relative)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lead_time_p90_h", "expected KPI=VALUE"),
        ("lead_time_p90_h=", "expected KPI=VALUE"),
        ("speed=1", "unknown KPI"),
        ("lead_time_p90_h=fast", "cannot read 'fast'"),
        ("lead_time_p90_h=-1", "cannot read|0 or more"),
        ("lead_time_p90_h=1pp", "only to shares"),
        ("lead_time_p90_h=1%,2%", "two relative"),
        ("lead_time_p90_h=1,2", "two absolute"),
        ("lead_time_p90_h=inf", "cannot read"),
    ],
)
def test_bad_min_effects(text, message):
    with pytest.raises(CheckError, match=message):
        parse_min_effect(text)


def test_make_rule_rejects_bad_options():
    with pytest.raises(CheckError, match="level"):
        make_rule(level=0)
    with pytest.raises(CheckError, match="level"):
        make_rule(level=0.9)
    with pytest.raises(CheckError, match="not checked"):
        make_rule(["lead_time_mean_h"], min_effects=["vehicle_km=10"])
    with pytest.raises(CheckError, match="twice"):
        make_rule(min_effects=["lead_time_mean_h=1", "lead_time_mean_h=2"])
    with pytest.raises(CheckError, match="different directions"):
        make_rule(["vehicle_km:higher-is-worse", "vehicle_km:lower-is-worse"])
    with pytest.raises(CheckError, match="no KPI"):
        make_rule([])
    with pytest.raises(CheckError, match="parts of 0 or more"):
        make_rule(min_effects={"lead_time_mean_h": MinEffect(-1.0)})
    with pytest.raises(CheckError, match="expected a MinEffect"):
        make_rule(min_effects={"lead_time_mean_h": 0.5})


def test_min_effects_replace_the_defaults_only_for_their_kpi():
    rule = make_rule(min_effects=["lead_time_p90_h=1", "on_time_24h_share=3pp"])
    effects = {r.kpi: r.min_effect for r in rule.kpis}
    assert effects["lead_time_p90_h"] == MinEffect(1.0, 0.0)
    assert effects["on_time_24h_share"] == MinEffect(0.03, 0.0)
    assert effects["lead_time_mean_h"] == MinEffect(0.25, 0.02)


def test_format_verdicts_rows_start_with_the_kpi_and_end_with_the_verdict():
    verdicts = [
        judge_kpi(LEAD, TIGHT, TIGHT + 1.0, alpha=0.001),
        judge_kpi(SHARE, [0.9] * 3, [0.9] * 3, alpha=0.001),
        judge_kpi(LEAD, None, TIGHT, alpha=0.001),
    ]
    lines = format_verdicts(verdicts).splitlines()
    assert lines[0].split()[0] == "KPI"
    assert lines[1].split()[0] == "lead_time_mean_h" and lines[1].endswith("regressed")
    assert "+1.00 h (+10.0%)" in lines[1]
    assert lines[2].split()[0] == "on_time_24h_share" and lines[2].endswith("ok")
    assert "90.00 [90.00, 90.00]" in lines[2]  # shares in percent
    assert lines[3].endswith("not comparable")


# --------------------------------------------------------------------------- baseline files


def _table(n: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {"replication": range(n), "seed": 7, **{k: rng.normal(5, 1, n) for k in KPI_NAMES}}
    )
    table["parcels_generated"] = rng.integers(100, 200, n)
    if n > 1:
        table.loc[1, "bus_load_factor_mean"] = np.nan
    return table


def _record(table=None, **changes) -> dict:
    fields = {
        "scenario_name": "tiny",
        "scenario": {"name": "tiny", "seed": 1, "hub": {"sorting": {"rate_per_h": 8000.0}}},
        "fingerprint": "ab" * 32,
        "overrides": ["horizon.days=3"],
        "seed": 7,
        "table": _table() if table is None else table,
        "package_version": "0.1.0",
        "created_at": "2026-11-29T00:00:00+00:00",
        "scenario_file": "tiny.yaml",
    }
    return baseline_record(**{**fields, **changes})


def test_baseline_round_trip(tmp_path):
    table = _table()
    path = tmp_path / "tiny.json"
    write_baseline(path, _record(table))
    baseline = read_baseline(path)
    assert (baseline.scenario_name, baseline.seed, baseline.replications) == ("tiny", 7, 4)
    assert baseline.overrides == ["horizon.days=3"]
    assert baseline.format_version == FORMAT_VERSION
    assert baseline.scenario["hub"]["sorting"]["rate_per_h"] == 8000.0
    values = baseline.values()
    assert set(values) == set(KPI_NAMES)
    assert values["lead_time_mean_h"] == table["lead_time_mean_h"].tolist()  # exact floats
    assert values["bus_load_factor_mean"][1] is None  # NaN stored as null
    data = json.loads(path.read_text())
    assert list(data)[-1] == "scenario"
    summary = data["kpis"]["lead_time_p90_h"]
    sample = table["lead_time_p90_h"].to_numpy()
    low, high = stats.t.interval(0.95, 3, loc=sample.mean(), scale=stats.sem(sample))
    assert summary["mean"] == pytest.approx(sample.mean())
    assert summary["std"] == pytest.approx(np.std(sample, ddof=1))
    assert (summary["ci_low"], summary["ci_high"]) == pytest.approx((low, high))
    assert summary["n"] == 4 and data["kpis"]["bus_load_factor_mean"]["n"] == 3


def test_a_baseline_needs_two_replications():
    with pytest.raises(CheckError, match="at least 2"):
        _record(_table(1))


def _broken(tmp_path, mutate) -> str:
    path = tmp_path / "tiny.json"
    data = _record()
    mutate(data)
    path.write_text(json.dumps(data))
    with pytest.raises(BaselineError) as info:
        read_baseline(path)
    assert str(path) in str(info.value)
    return str(info.value)


def test_bad_baseline_files_are_named_with_what_is_wrong(tmp_path):
    assert "no such baseline file" in str(
        pytest.raises(BaselineError, read_baseline, tmp_path / "x.json").value
    )
    assert "folder" in str(pytest.raises(BaselineError, read_baseline, tmp_path).value)
    (tmp_path / "a.json").write_text("{not json")
    assert "not valid JSON" in str(
        pytest.raises(BaselineError, read_baseline, tmp_path / "a.json").value
    )
    (tmp_path / "b.json").write_bytes(b"\xff\xfe\x00")
    assert "UTF-8" in str(pytest.raises(BaselineError, read_baseline, tmp_path / "b.json").value)
    assert "not a ruralsim baseline" in _broken(tmp_path, lambda d: d.pop("format"))
    assert "version 2" in _broken(tmp_path, lambda d: d.update(format_version=2))
    assert "seed" in _broken(tmp_path, lambda d: d.update(seed="one"))
    assert "replications" in _broken(tmp_path, lambda d: d.update(replications=1))

    def drop_a_value(data: dict) -> None:
        record = data["kpis"]["lead_time_mean_h"]
        record["values"].pop()
        record["n"] -= 1

    assert "kpis.lead_time_mean_h.values has 3 values" in _broken(tmp_path, drop_a_value)


def test_a_half_written_baseline_is_reported_not_used(tmp_path):
    path = tmp_path / "tiny.json"
    write_baseline(path, _record())
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(BaselineError, match="not valid JSON"):
        read_baseline(path)


def test_writing_an_invalid_record_leaves_the_old_file(tmp_path):
    path = tmp_path / "tiny.json"
    write_baseline(path, _record())
    before = path.read_bytes()
    bad = _record()
    bad["seed"] = -1
    with pytest.raises(ValueError):
        write_baseline(path, bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.json"]  # no temporary file


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("NaN", "kpis.lead_time_mean_h.values.1: NaN is not a number a baseline may hold"),
        ("Infinity", "kpis.lead_time_mean_h.values.1: Infinity is not a number"),
        ("-Infinity", "kpis.lead_time_mean_h.values.1: -Infinity is not a number"),
        ("1e999", "kpis.lead_time_mean_h.values.1: 1e999 is not a number"),
    ],
)
def test_nan_and_infinity_are_refused_naming_the_field(tmp_path, text, phrase):
    """Python's json reads them, and a NaN baseline would make its KPI 'not comparable'."""
    path = tmp_path / "tiny.json"
    data = _record()
    data["kpis"]["lead_time_mean_h"]["values"][1] = "@"
    path.write_text(json.dumps(data).replace('"@"', text))
    with pytest.raises(BaselineError) as info:
        read_baseline(path)
    assert str(info.value).startswith(f"{path}: ") and phrase in str(info.value)


@pytest.mark.parametrize("depth", [40, 100_000])
def test_a_deeply_nested_baseline_is_refused_without_a_recursion_error(tmp_path, depth):
    path = tmp_path / "tiny.json"
    text = json.dumps(_record())
    path.write_text(text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(BaselineError) as info:
        read_baseline(path)
    assert str(path) in str(info.value) and "nested" in str(info.value)
    assert "32 levels" in str(info.value)


def test_wrong_types_are_refused_not_coerced(tmp_path):
    assert "seed: Input should be a valid integer" in _broken(
        tmp_path, lambda d: d.update(seed="7")
    )
    assert "replications: Input should be a valid integer" in _broken(
        tmp_path, lambda d: d.update(replications=4.0)
    )
    assert "seed: Input should be a valid integer" in _broken(
        tmp_path, lambda d: d.update(seed=True)
    )
    assert "kpis.lead_time_mean_h.values.0: Input should be a valid number" in _broken(
        tmp_path, lambda d: d["kpis"]["lead_time_mean_h"]["values"].__setitem__(0, "5.1")
    )
    assert "overrides: Input should be a valid list" in _broken(
        tmp_path, lambda d: d.update(overrides="horizon.days=3")
    )
    assert "replications: Input should be less than or equal to 10000" in _broken(
        tmp_path, lambda d: d.update(replications=10**6)
    )
    assert "kpis.lead_time_mean_h: n is 4, but values holds 3 numbers" in _broken(
        tmp_path, lambda d: d["kpis"]["lead_time_mean_h"]["values"].__setitem__(0, None)
    )
