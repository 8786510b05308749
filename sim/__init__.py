"""ruralsim: discrete-event simulation of a county's rural parcel network.

The public API is small: load a scenario, simulate it, summarise replications.
"""

from sim.analysis.kpis import KPI_NAMES
from sim.runner import run_replications, simulate
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "KPI_NAMES",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "run_replications",
    "simulate",
]
