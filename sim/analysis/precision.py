"""How many replications: relative precision of KPI means and the sequential procedure.

The sequential procedure (Law & Kelton's relative-precision rule, run in
batches) runs a first batch of replications, then keeps adding batches until,
for every scenario and every named KPI, the half-width of the Student-t
confidence interval of the mean is at most ``precision`` times the absolute
mean, or the cap is reached. Batches have a fixed size, so the number of
replications it stops at depends only on the replications' results, never on
how they were executed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.stats import t_interval

DEFAULT_BATCH = 5
"""Replications added per step of the sequential procedure."""


def relative_half_widths(
    kpis: Mapping[str, pd.DataFrame], columns: Sequence[str], level: float = 0.95
) -> pd.DataFrame:
    """Relative half-width of the confidence interval of each scenario's KPI means.

    Parameters
    ----------
    kpis : mapping of str to DataFrame
        Scenario (or sweep point) -> KPI table, one row per replication.
    columns : sequence of str
        KPIs to measure.
    level : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    DataFrame
        Columns ``scenario, kpi, mean, half_width, relative``. ``relative`` is
        ``half_width / |mean|``: 0 when the half-width is 0 (every replication
        equal), infinite when it cannot be computed (fewer than two values) or the
        mean is 0 with a positive half-width.
    """
    rows = []
    for name, table in kpis.items():
        for kpi in columns:
            mean, low, high = t_interval(table[kpi].to_numpy(), level)
            half = (high - low) / 2.0
            if not np.isfinite(half):
                relative = np.inf
            elif half == 0.0:
                relative = 0.0
            elif mean == 0.0 or not np.isfinite(mean):
                relative = np.inf
            else:
                relative = half / abs(mean)
            rows.append(
                {
                    "scenario": name,
                    "kpi": kpi,
                    "mean": mean,
                    "half_width": half,
                    "relative": relative,
                }
            )
    return pd.DataFrame(rows, columns=["scenario", "kpi", "mean", "half_width", "relative"])


@dataclass(frozen=True)
class SequentialResult:
    """Outcome of :func:`sequential_replications`.

    Attributes
    ----------
    replications : int
        Replications per scenario when the procedure stopped.
    reached : bool
        Every named KPI met the precision (False: stopped at the cap).
    precision : float
        The relative precision asked for.
    steps : tuple of int
        Replication counts checked, in order (e.g. ``(5, 10, 15)``).
    widths : DataFrame
        :func:`relative_half_widths` at the end.
    """

    replications: int
    reached: bool
    precision: float
    steps: tuple[int, ...]
    widths: pd.DataFrame

    def summary(self) -> str:
        """One line for people: how many replications it took and whether it was enough."""
        pct = f"±{self.precision:.1%}".replace(".0%", "%")
        worst = self.widths.sort_values("relative", ascending=False, kind="stable").iloc[0]
        widest = f"{worst['scenario']} {worst['kpi']} ±{worst['relative']:.1%}"
        if self.reached:
            return (
                f"precision reached: {self.replications} replications bring every named KPI "
                f"within {pct} of its mean (widest: {widest})"
            )
        late = self.widths[self.widths["relative"] > self.precision]
        return (
            f"precision NOT reached: stopped at the cap of {self.replications} replications; "
            f"{len(late)} KPI mean(s) still wider than {pct} (widest: {widest})"
        )


def sequential_replications(
    run: Callable[[int], Mapping[str, pd.DataFrame]],
    columns: Sequence[str],
    precision: float,
    max_replications: int,
    batch: int = DEFAULT_BATCH,
    level: float = 0.95,
) -> tuple[Mapping[str, pd.DataFrame], SequentialResult]:
    """Add replications in batches until every named KPI is precise enough.

    Parameters
    ----------
    run : callable
        ``run(n)`` returns the KPI tables of replications ``0..n-1`` of every
        scenario (running only those not already run).
    columns : sequence of str
        KPIs that must reach the precision.
    precision : float
        Largest acceptable relative half-width, e.g. 0.05 for ±5% of the mean.
    max_replications : int
        Cap on replications per scenario (at least 2).
    batch : int, optional
        Replications per step; the first step is one batch (at least 2).
    level : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    tuple
        The KPI tables at the stopping point and a :class:`SequentialResult`.
    """
    if not 0 < precision:
        raise ValueError(f"precision must be positive, got {precision}")
    if max_replications < 2:
        raise ValueError(f"max_replications must be at least 2, got {max_replications}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    n = min(max(batch, 2), max_replications)
    steps = []
    while True:
        tables = run(n)
        steps.append(n)
        widths = relative_half_widths(tables, columns, level)
        reached = bool((widths["relative"] <= precision).all())
        if reached or n >= max_replications:
            return tables, SequentialResult(n, reached, precision, tuple(steps), widths)
        n = min(n + batch, max_replications)
