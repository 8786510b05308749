"""The relative-precision rule and the sequential procedure, on synthetic replications."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.precision import relative_half_widths, sequential_replications


def tables_from(values: dict[str, np.ndarray], n: int) -> dict[str, pd.DataFrame]:
    return {
        name: pd.DataFrame({"replication": range(n), "x": column[:n], "const": 3.0})
        for name, column in values.items()
    }


def test_relative_half_width_known_answer():
    tables = tables_from({"a": np.array([9.0, 10.0, 11.0, 10.0])}, 4)
    widths = relative_half_widths(tables, ["x", "const"]).set_index("kpi")
    half = stats.t.ppf(0.975, 3) * np.std([9, 10, 11, 10], ddof=1) / 2
    assert widths.loc["x", "half_width"] == pytest.approx(half)
    assert widths.loc["x", "relative"] == pytest.approx(half / 10.0)
    assert widths.loc["const", "relative"] == 0.0  # every replication equal
    few = relative_half_widths(tables_from({"a": np.array([1.0])}, 1), ["x"])
    assert few["relative"].iloc[0] == np.inf
    zero_mean = relative_half_widths(tables_from({"a": np.array([-1.0, 1.0])}, 2), ["x"])
    assert zero_mean["relative"].iloc[0] == np.inf


def expected_stop(values, precision, cap, batch=5):
    """Brute force: the first batch boundary where every arm is precise enough."""
    n = min(batch, cap)
    while True:
        ok = True
        for column in values.values():
            mean, low, high = (
                column[:n].mean(),
                *stats.t.interval(0.95, n - 1, column[:n].mean(), stats.sem(column[:n])),
            )
            ok &= (high - low) / 2 <= precision * abs(mean)
        if ok or n >= cap:
            return n, ok
        n = min(n + batch, cap)


@pytest.mark.parametrize("precision", [0.2, 0.05, 0.02, 0.01])
def test_sequential_procedure_stops_at_the_first_precise_batch(precision):
    rng = np.random.default_rng(7)
    values = {"a": rng.normal(10.0, 2.0, 200), "b": rng.normal(20.0, 1.0, 200)}
    asked = []

    def run(n):
        asked.append(n)
        return tables_from(values, n)

    tables, result = sequential_replications(run, ["x"], precision, max_replications=60)
    n, reached = expected_stop(values, precision, 60)
    assert (result.replications, result.reached) == (n, reached)
    assert asked == list(result.steps) == list(range(5, n + 1, 5))
    assert len(tables["a"]) == n
    assert (result.widths["relative"] <= precision).all() == reached
    assert ("precision reached" in result.summary()) == reached


def test_sequential_procedure_reports_hitting_the_cap():
    rng = np.random.default_rng(1)
    values = {"a": rng.normal(1.0, 5.0, 100)}
    _, result = sequential_replications(
        lambda n: tables_from(values, n), ["x"], 0.01, max_replications=12
    )
    assert result.replications == 12 and not result.reached
    assert result.steps == (5, 10, 12)
    assert "stopped at the cap of 12 replications" in result.summary()


def test_sequential_procedure_rejects_nonsense():
    with pytest.raises(ValueError):
        sequential_replications(lambda n: {}, ["x"], 0.0, 10)
    with pytest.raises(ValueError):
        sequential_replications(lambda n: {}, ["x"], 0.05, 1)
