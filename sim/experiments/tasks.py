"""What one worker does: one replication, reduced to a small picklable result.

A replication is a pure function of (scenario, seed, replication number), so the
same task gives the same result serially, in a process pool or on Dask.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from sim.analysis.kpis import KPI_NAMES
from sim.analysis.warmup import daily_mean_lead_time
from sim.runner import simulate
from sim.scenario.schema import Scenario


def plain(value):
    """A KPI value as a plain Python int or float (NaN for a missing value)."""
    if value is None:
        return math.nan
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return float(value)


def kpi_row(kpis: dict, seed: int, replication: int) -> dict:
    """One ``kpis.csv`` row: replication, seed, then every KPI as a plain number."""
    return {
        "replication": int(replication),
        "seed": int(seed),
        **{name: plain(kpis.get(name)) for name in KPI_NAMES},
    }


def replicate_kpis(scenario: Scenario, seed: int, replication: int) -> dict:
    """Run replication ``replication`` of ``scenario`` and return its KPI row."""
    run = simulate(scenario, seed=seed, replication=replication)
    return kpi_row(run.kpis, seed, replication)


def replicate_daily_lead_time(scenario: Scenario, seed: int, replication: int) -> list[float]:
    """Run one replication and return its daily mean lead time (hours, NaN if none)."""
    run = simulate(scenario, seed=seed, replication=replication)
    series = daily_mean_lead_time(run.parcels, scenario.horizon.days)
    return [float(v) for v in np.asarray(series)]
