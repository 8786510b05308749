"""The long sweep table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.sweep import sweep_table


def test_sweep_table_long_form_known_answer():
    points = pd.DataFrame({"hub.sorting.rate_per_h": [4000, 8000], "delivery.model": ["a", "b"]})
    kpis = [
        pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, 5.0, np.nan]}),
        pd.DataFrame({"x": [2.0, 2.0, 2.0], "y": [1.0, 3.0, 5.0]}),
    ]
    table = sweep_table(points, kpis, ["x", "y"])
    assert list(table.columns) == [
        "hub.sorting.rate_per_h",
        "delivery.model",
        "kpi",
        "mean",
        "ci_low",
        "ci_high",
        "n",
    ]
    assert table["kpi"].tolist() == ["x", "y", "x", "y"]
    assert table["hub.sorting.rate_per_h"].tolist() == [4000, 4000, 8000, 8000]
    first = table.iloc[0]
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)
    assert (first["mean"], first["ci_low"], first["ci_high"]) == pytest.approx(
        (2.0, 2.0 - half, 2.0 + half)
    )
    assert table.iloc[1]["n"] == 2  # the NaN replication is left out
    assert table.iloc[2]["ci_low"] == table.iloc[2]["ci_high"] == 2.0


def test_sweep_table_rejects_clashing_names():
    with pytest.raises(ValueError, match="kpi"):
        sweep_table(pd.DataFrame({"kpi": [1]}), [pd.DataFrame({"x": [1.0]})], ["x"])
