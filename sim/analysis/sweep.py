"""The long table of a parameter sweep: varied values, KPI, mean and confidence interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.stats import t_interval

SUMMARY_COLUMNS = ("kpi", "mean", "ci_low", "ci_high", "n")
"""Columns after the varied paths in ``sweep.csv``."""


def sweep_table(
    points: pd.DataFrame,
    kpis: Sequence[pd.DataFrame],
    columns: Sequence[str],
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per sweep point and KPI: the point's values, then mean and CI.

    Parameters
    ----------
    points : DataFrame
        One row per point, one column per varied scenario path (e.g.
        ``hub.sorting.rate_per_h``), in sweep order.
    kpis : sequence of DataFrame
        The KPI table (one row per replication) of each point, aligned with ``points``.
    columns : sequence of str
        KPIs to summarise, in order.
    level : float, optional
        Confidence level, 0.95 by default.

    Returns
    -------
    DataFrame
        Columns: the varied paths, then ``kpi, mean, ci_low, ci_high, n`` where
        ``n`` counts the replications with a value (NaN values are left out).
    """
    if len(points) != len(kpis):
        raise ValueError(f"{len(points)} points but {len(kpis)} KPI tables")
    clash = sorted(set(points.columns) & set(SUMMARY_COLUMNS))
    if clash:
        raise ValueError(f"a varied path may not be named {', '.join(clash)}")
    rows = []
    for values, table in zip(points.to_dict("records"), kpis, strict=True):
        for kpi in columns:
            data = table[kpi].to_numpy(dtype=float)
            mean, low, high = t_interval(data, level)
            n = int(np.isfinite(data).sum())
            rows.append(
                {**values, "kpi": kpi, "mean": mean, "ci_low": low, "ci_high": high, "n": n}
            )
    return pd.DataFrame(rows, columns=[*points.columns, *SUMMARY_COLUMNS])
