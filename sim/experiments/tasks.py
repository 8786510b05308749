"""What one worker does: one replication, reduced to a small picklable result.

A replication is a pure function of (scenario, seed, replication number), so the
same task gives the same result serially, in a process pool or on Dask.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.brands import brand_results
from sim.analysis.details import (
    daily_series,
    day_kind_kpis,
    lead_time_percentiles,
    network_tables,
    outbound_daily,
    village_lead_times,
)
from sim.analysis.kpis import KPI_NAMES
from sim.analysis.region import aggregates as region_aggregates
from sim.analysis.stages import stage_table
from sim.analysis.warmup import daily_mean_lead_time
from sim.engine.model import all_plans
from sim.network.services import Plan
from sim.runner import simulate
from sim.scenario.errors import ScenarioError
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


DETAIL_TABLES = ("lead_time_percentiles", "villages", "daily", "day_kinds", "stages")
"""Per-replication detail tables kept by compare and sweep (see :mod:`sim.analysis.details`)."""
SCENARIO_DETAIL_TABLES = ("brands", "outbound_daily")
"""Detail tables kept only for scenarios that have them (``brands``: a ``brands``
section; ``outbound_daily``: an ``outbound`` section)."""
OPTIONAL_TABLES = ("stages", *SCENARIO_DETAIL_TABLES)
"""Detail tables a replication may lack: those above, and ``stages`` (a replication
kept by an older ruralsim)."""


@dataclass(frozen=True)
class Replication:
    """What one replication task returns.

    Attributes
    ----------
    row : dict
        The ``kpis.csv`` row (:func:`kpi_row`).
    details : dict or None
        Detail tables by name (:data:`DETAIL_TABLES`), each as column name -> list
        of plain values; None when not asked for.
    aggregates : dict or None
        What a region merges besides the row (:func:`sim.analysis.region.aggregates`);
        None when not asked for.
    """

    row: dict
    details: dict[str, dict[str, list]] | None = None
    aggregates: dict | None = None


def _columns(frame: pd.DataFrame) -> dict[str, list]:
    """A table as column -> list of plain Python values (picklable, JSON-ready)."""
    return {str(name): frame[name].tolist() for name in frame.columns}


def detail_tables(run) -> dict[str, dict[str, list]]:
    """The detail tables of one run: lead-time percentiles, villages, days, day kinds."""
    tables = {
        "lead_time_percentiles": _columns(lead_time_percentiles(run)),
        "villages": _columns(village_lead_times(run)),
        "daily": _columns(daily_series(run)),
        "day_kinds": _columns(day_kind_kpis(run)),
        "stages": _columns(stage_table(run)),
    }
    if run.scenario.brands.root:
        tables["brands"] = _columns(brand_results(run))
    if run.scenario.outbound is not None:
        tables["outbound_daily"] = _columns(outbound_daily(run))
    return tables


def gather_details(
    per_replication: Mapping[int, Mapping[str, Mapping[str, list]]], plan, networks=None
) -> dict[str, pd.DataFrame]:
    """The detail files of one scenario: each replication's tables, and its network.

    ``lead_time_percentiles``, ``villages``, ``daily``, ``day_kinds`` and ``stages``
    hold every replication, in replication order, with a ``replication`` column first;
    ``places`` and ``services`` describe the planned network once; ``brands`` (per
    brand and replication) and ``outbound_daily`` are there when the replications have
    them. An optional table (:data:`OPTIONAL_TABLES`) is written only when every
    replication has it. *networks*: a branded scenario's networks, names and plans
    (``services`` then lists every network's; :func:`sim.analysis.details.network_tables`).
    """
    files = {}
    for name in (*DETAIL_TABLES, *SCENARIO_DETAIL_TABLES):
        if not all(name in tables for tables in per_replication.values()):
            continue
        frames = []
        for replication in sorted(per_replication):
            frame = pd.DataFrame(per_replication[replication][name])
            frame.insert(0, "replication", replication)
            frames.append(frame)
        files[name] = pd.concat(frames, ignore_index=True)
    files["places"], files["services"] = network_tables(plan, networks)
    return files


def replicate_kpis(
    scenario: Scenario,
    seed: int,
    replication: int,
    details: bool = True,
    plan: tuple[Plan, ...] | None = None,
    aggregates: bool = False,
) -> Replication:
    """Run replication ``replication`` of ``scenario``: its KPI row and detail tables.

    Parameters
    ----------
    scenario : Scenario
        The fully resolved scenario.
    seed : int
        Root seed.
    replication : int
        Replication number *r* (child *r* of ``SeedSequence(seed)``).
    details : bool, optional
        Also compute the detail tables (default); ``ruralsim run`` needs only the row.
    plan : tuple of Plan, optional
        The scenario's plans (every network's: :func:`sim.engine.model.all_plans`), made
        once by the process handing out the work, so that a worker neither plans nor
        reads the plan cache (default: planned here).
    aggregates : bool, optional
        Also return what a region merges (:func:`sim.analysis.region.aggregates`).

    Returns
    -------
    Replication
        The KPI row and (with ``details``) the detail tables.
    """
    run = simulate(scenario, seed=seed, replication=replication, plan=plan)
    return Replication(
        kpi_row(run.kpis, seed, replication),
        detail_tables(run) if details else None,
        region_aggregates(run) if aggregates else None,
    )


def plan_scenario(scenario: Scenario, file: str | None = None) -> tuple[Plan, ...]:
    """The scenario's plans, every network's (:func:`sim.engine.model.all_plans`), made on a worker.

    A region plans its counties this way, in parallel; a problem found while planning
    (a village out of reach …) names ``file``, the county's scenario file.
    """
    try:
        return tuple(all_plans(scenario))
    except ScenarioError as exc:
        raise exc if file is None else exc.in_file(file) from None


def replicate_daily_lead_time(scenario: Scenario, seed: int, replication: int) -> list[float]:
    """Run one replication and return its daily mean lead time (hours, NaN if none)."""
    run = simulate(scenario, seed=seed, replication=replication)
    series = daily_mean_lead_time(run.parcels, scenario.horizon.days)
    return [float(v) for v in np.asarray(series)]
