"""Run a scenario and measure it: the engine's run followed by the KPI analysis."""

from __future__ import annotations

import os
from collections.abc import Iterable

import pandas as pd

from sim.analysis.kpis import KPI_NAMES, compute_kpis
from sim.engine.model import Run, plan_for, run
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.schema import Scenario


def load_checked(path: str | os.PathLike, overrides: Iterable[str] = ()) -> Scenario:
    """Load a scenario and plan it, so that every input error surfaces before any run.

    Route planning can still reject a validated scenario (a village out of reach,
    a bus stop that is not in the network); such errors name the scenario file.
    """
    scenario = load_scenario(path, overrides)
    try:
        plan_for(scenario)
    except ScenarioError as exc:
        raise exc.in_file(os.fspath(path)) from None
    return scenario


def simulate(scenario: Scenario, seed: int | None = None, replication: int = 0) -> Run:
    """Run one replication and compute its KPIs.

    Parameters
    ----------
    scenario : a validated scenario (``sim.load_scenario``)
    seed : root seed; defaults to the scenario's ``seed``
    replication : replication number *r*, using child *r* of ``SeedSequence(seed)``

    Returns
    -------
    The run: ``.parcels`` (ledger DataFrame), ``.trips`` and ``.kpis`` (dict).
    """
    result = run(scenario, seed=seed, replication=replication)
    result.kpis = compute_kpis(
        scenario, result.ledger, result.trips, result.services, result.sorting_busy_h, result.end_h
    )
    return result


def run_replications(
    scenario: Scenario, replications: int, seed: int | None = None, progress=None
) -> pd.DataFrame:
    """KPIs of replications 0..n-1, one row each (columns ``replication``, ``seed``, KPIs).

    ``progress`` is called with no arguments after each replication (e.g. a tqdm update).
    """
    seed = scenario.seed if seed is None else int(seed)
    rows = []
    for replication in range(replications):
        result = simulate(scenario, seed=seed, replication=replication)
        rows.append({"replication": replication, "seed": seed, **result.kpis})
        if progress is not None:
            progress()
    return pd.DataFrame(rows, columns=["replication", "seed", *KPI_NAMES])
