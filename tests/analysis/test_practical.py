"""Practical thresholds: a clear but negligible difference is "no practical difference"."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis import kpi_table
from sim.analysis.compare import (
    classify,
    comparison_table,
    paired_difference,
    practical_threshold,
    verdicts,
)
from sim.checking.errors import CheckError
from sim.checking.options import practical_effects

# Five replications of a cost per parcel near 2.87 CNY; the other scenario costs 1.5 fen
# more with a little noise: the paired interval excludes 0 by far, but the estimate is
# well below the 5-fen threshold of the KPI table.
REFERENCE = np.array([2.860, 2.871, 2.866, 2.875, 2.869])
NOISE = np.array([0.001, -0.001, 0.0005, -0.0005, 0.0])


def _table(diff: float, practical=None) -> pd.DataFrame:
    kpis = {
        "a": pd.DataFrame({"replication": range(5), "cost_per_parcel_cny": REFERENCE}),
        "b": pd.DataFrame(
            {"replication": range(5), "cost_per_parcel_cny": REFERENCE + diff + NOISE}
        ),
    }
    return comparison_table(kpis, ["cost_per_parcel_cny"], practical=practical)


def test_a_tiny_clear_difference_is_no_practical_difference():
    paired = paired_difference(REFERENCE, REFERENCE + 0.015 + NOISE)
    assert paired.ci_low > 0  # statistically clear ...
    assert paired.mean == pytest.approx(0.015)  # ... but 1.5 fen
    threshold = practical_threshold("cost_per_parcel_cny", REFERENCE.mean())
    assert threshold == 0.05
    outcome = classify("cost_per_parcel_cny", paired.mean, paired.ci_low, paired.ci_high, threshold)
    assert outcome == ("negligible", None)
    # Without a threshold the same difference is "higher (worse)", as before.
    assert classify("cost_per_parcel_cny", paired.mean, paired.ci_low, paired.ci_high) == (
        "higher",
        "worse",
    )
    (line,) = verdicts(_table(0.015), ["cost_per_parcel_cny"])
    assert "no practical difference between b and a" in line
    assert "worse" not in line and "practical threshold ±0.0500 CNY" in line


def test_a_difference_beyond_the_threshold_is_better_or_worse():
    (worse,) = verdicts(_table(0.2), ["cost_per_parcel_cny"])
    assert "b is 0.200 CNY higher (worse) than a" in worse
    (better,) = verdicts(_table(-0.2), ["cost_per_parcel_cny"])
    assert "b is 0.200 CNY lower (better) than a" in better


def test_the_threshold_override_changes_the_verdict():
    (default,) = verdicts(_table(0.015), ["cost_per_parcel_cny"])
    (strict,) = verdicts(
        _table(0.015, {"cost_per_parcel_cny": (0.0, 0.0)}), ["cost_per_parcel_cny"]
    )
    (lenient,) = verdicts(_table(0.2, {"cost_per_parcel_cny": (0.5, 0.0)}), ["cost_per_parcel_cny"])
    assert "no practical difference" in default
    assert "(worse)" in strict
    assert "no practical difference" in lenient and "±0.500 CNY" in lenient
    # The threshold is in the table, for the report to read.
    table = _table(0.015, {"cost_per_parcel_cny": (0.01, 0.0)})
    assert table["practical"].tolist()[1] == 0.01 and np.isnan(table["practical"].tolist()[0])


@pytest.mark.parametrize(
    ("interval", "threshold", "outcome"),
    [
        ((0.1, -0.1, 0.3), 0.25, "none"),  # straddles 0, reaches beyond: not clear
        ((0.1, -0.1, 0.2), 0.25, "negligible"),  # straddles 0, all within ±0.25
        ((0.2, 0.1, 0.3), 0.25, "negligible"),  # clear, estimate within the threshold
        ((0.25, 0.2, 0.3), 0.25, "negligible"),  # an estimate at the threshold is within
        ((0.3, 0.2, 0.4), 0.25, "slower"),  # clear and beyond
        ((-0.3, -0.4, -0.2), 0.25, "faster"),
        ((0.1, -0.1, 0.3), 0.0, "none"),  # no threshold: the statistical rule alone
        ((0.0, 0.0, 0.0), 0.25, "identical"),
        ((0.1, np.nan, np.nan), 0.25, "unknown"),
    ],
)
def test_the_rule_in_order(interval, threshold, outcome):
    assert classify("lead_time_mean_h", *interval, threshold)[0] == outcome


def test_a_relative_threshold_scales_with_the_reference_mean():
    record = kpi_table.get("co2_kg")
    assert record.practical == (0.0, 0.01)
    assert practical_threshold("co2_kg", 31_445.0) == pytest.approx(314.45)
    assert practical_threshold("co2_kg", -200.0) == pytest.approx(2.0)  # of |mean|
    assert practical_threshold("co2_kg", float("nan")) == 0.0
    assert practical_threshold("co2_kg", 100.0, {"co2_kg": (5.0, 0.01)}) == 5.0


def test_every_kpi_has_a_practical_threshold_of_zero_or_more():
    for kpi in kpi_table.KPIS:
        absolute, relative = kpi.practical
        assert absolute >= 0 and relative >= 0 and (absolute or relative), kpi.name
        if kpi.share:  # a share's threshold is a fraction: 1 pp, not 1
            assert absolute <= 0.05, kpi.name


def test_practical_options_are_read_like_check_minimum_effects():
    assert practical_effects(["on_time_24h_share=2pp", "co2_kg=0.5,2%"]) == {
        "on_time_24h_share": (0.02, 0.0),
        "co2_kg": (0.5, 0.02),
    }
    assert practical_effects({"cost_per_parcel_cny": 0.1}) == {"cost_per_parcel_cny": (0.1, 0.0)}
    assert practical_effects(None) == {}
    for bad in (["nope=1"], ["co2_kg=-1"], ["co2_kg=1", "co2_kg=2"], {"co2_kg": -1.0}):
        with pytest.raises(CheckError, match="practical|unknown KPI"):
            practical_effects(bad)


def test_compare_records_the_thresholds_it_used(tmp_path, small):
    from sim.experiments import compare
    from sim.report import load_results

    direct = small.model_copy(update={"name": "d"})
    out = tmp_path / "cmp"
    comparison = compare(
        [direct, direct.model_copy(update={"name": "e"})],
        replications=2,
        out=out,
        practical=["cost_per_parcel_cny=0.2"],
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["practical"] == {"cost_per_parcel_cny": [0.2, 0.0]}
    written = pd.read_csv(out / "comparison.csv")
    row = written[(written["scenario"] == "e") & (written["kpi"] == "cost_per_parcel_cny")]
    assert row["practical"].tolist() == [0.2]
    # The report reads what compare used, also from a folder without the column
    # (made before thresholds existed): then the manifest's and the KPI table's.
    assert load_results(out).table.equals(comparison.table)
    written.drop(columns="practical").to_csv(out / "comparison.csv", index=False)
    again = load_results(out).table
    assert again["practical"].equals(comparison.table["practical"])
