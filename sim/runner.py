"""Run a scenario and measure it: the engine's run followed by the KPI analysis."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from sim.analysis.kpis import compute_kpis
from sim.engine.demand import expected_parcels
from sim.engine.ledger import Ledger
from sim.engine.model import Run, all_plans, given_plans, keeps_cold_chain, run
from sim.network.geography import Geography, build_geography
from sim.network.returns import return_paths
from sim.network.services import Plan
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

MAX_LEDGER_BYTES = 4 * 1024**3
"""Largest parcel ledger a run may need (4 GiB, ~58 M parcels), further capped at a
quarter of this machine's memory: a run's peak memory is ~1.4 times its ledger (see
the README's benchmark) and ``--jobs`` runs several replications at once. A year of a
30,000-parcels-a-day county needs ~0.8 GiB."""


def _ledger_row_bytes(scenario: Scenario) -> int:
    # Taken from the ledger's own columns, so a new column is counted automatically.
    return Ledger.row_bytes(cold_chain=keeps_cold_chain(scenario))


def _memory_limit() -> int:
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not available on this platform
        return MAX_LEDGER_BYTES
    return min(MAX_LEDGER_BYTES, physical // 4)


def _gib(size: float) -> str:
    return f"{size / 1024**3:,.1f} GiB"


def check_demand_fits(scenario: Scenario, geography: Geography) -> None:
    """Refuse a scenario whose parcels could not be held in memory, before any is made.

    The expected number of parcels over the horizon is population x
    ``parcels_per_capita_day`` x each day's weekday and peak factor, summed over the
    days, plus the county town's parcels (``urban_share``); one ledger row is kept
    per parcel.

    Raises
    ------
    ScenarioError
        At ``demand``, saying how many parcels and how much memory, against which limit.
    """
    demand = scenario.demand
    population = float(geography.population.sum())
    # The same expectation the run sizes its ledger with.
    horizon = scenario.horizon
    parcels = expected_parcels(demand, geography.population, horizon.days, horizon.weekday_offset)
    needed = parcels * _ledger_row_bytes(scenario)
    limit = _memory_limit()
    if needed > limit:
        raise ScenarioError(
            None,
            "demand",
            f"about {parcels:,.0f} parcels over {scenario.horizon.days} days "
            f"(population {population:,.0f} x parcels_per_capita_day "
            f"{demand.parcels_per_capita_day:g} x weekday and peak factors, plus the "
            f"county town's urban_share {demand.urban_share:g}) would need "
            f"{_gib(needed)} for the parcel ledger alone; the limit is {_gib(limit)} "
            f"({_gib(MAX_LEDGER_BYTES)}, or a quarter of this machine's memory when that "
            "is less). Lower the demand or shorten horizon.days",
        )


def check_scenario(scenario: Scenario) -> None:
    """Every check a validated scenario still needs before it can run.

    Reads the network (a places CSV can be wrong), refuses demand too large to hold
    in memory, then plans the routes (a village can be out of reach, a bus stop not
    in the network; with farm products going out, every village needs a way back to
    the hub: :func:`sim.network.returns.return_paths`).

    Raises
    ------
    ScenarioError
        Naming the YAML path or the CSV file, row and column.
    """
    check_demand_fits(scenario, build_geography(scenario.network))
    plans = all_plans(scenario)  # every network's: a brand's own fleets can fail to reach a place
    if scenario.outbound is not None:
        return_paths(plans[0])


def load_checked(
    source: str | os.PathLike | Scenario,
    overrides: Iterable[str] = (),
    *,
    overrides_from: str = "--set",
) -> Scenario:
    """Load a scenario (a file, or a ``Scenario`` plus overrides) and check it fully.

    :func:`sim.scenario.load_scenario` followed by :func:`check_scenario`, so that every
    input error surfaces before any run; errors found after validation name the
    scenario file.
    """
    scenario = load_scenario(source, overrides, overrides_from=overrides_from)
    try:
        check_scenario(scenario)
    except ScenarioError as exc:
        if isinstance(source, Scenario):
            raise
        raise exc.in_file(os.fspath(source)) from None
    return scenario


@dataclass(frozen=True, eq=False)
class MeasuredRun(Run):
    """One replication measured: the engine's :class:`~sim.engine.model.Run` and its KPIs.

    Every attribute of the run (``.parcels``, ``.trips``, ``.ledger``, ``.plan`` ...)
    plus ``kpis``, the dict of :func:`~sim.analysis.kpis.compute_kpis`. Frozen like the
    run: the KPIs are computed before it is made, never filled in afterwards.
    """

    kpis: dict[str, float]

    @classmethod
    def of(cls, run: Run) -> MeasuredRun:
        """Measure an engine run (its fields are shared, not copied)."""
        shared = {field.name: getattr(run, field.name) for field in fields(Run)}
        return cls(**shared, kpis=compute_kpis(run))


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    *,
    plan: Plan | Sequence[Plan] | None = None,
) -> MeasuredRun:
    """Run one replication and compute its KPIs.

    Parameters
    ----------
    scenario : a validated scenario (``sim.load_scenario``)
    seed : root seed; defaults to the scenario's ``seed``
    replication : replication number *r*, using child *r* of ``SeedSequence(seed)``
    plan : the scenario's plans, made elsewhere (parallel runs plan once in the main
        process and send the plans to the workers): ``all_plans(scenario)`` (every
        network's) or ``plan_for(scenario)`` (the first network's); default: planned here

    Returns
    -------
    MeasuredRun
        The run: ``.parcels`` (ledger DataFrame), ``.trips`` and ``.kpis`` (dict).

    Raises
    ------
    ScenarioError
        If the scenario's parcels would not fit in memory (see :func:`check_demand_fits`);
        a scenario built in code has not been through :func:`load_checked`.
    """
    if plan is None:
        check_scenario(scenario)  # demand size first, then the (cached) plan
    else:
        check_demand_fits(scenario, given_plans(plan)[0].geography)
    return MeasuredRun.of(run(scenario, seed=seed, replication=replication, plan=plan))
