"""ruralsim: discrete-event simulation of a county's rural parcel network.

The public API is small: load a scenario, simulate it, summarise replications,
compare scenarios with common random numbers, sweep parameters.
"""

from sim.analysis.kpis import KPI_NAMES
from sim.experiments import compare, sweep
from sim.runner import run_replications, simulate
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "KPI_NAMES",
    "Scenario",
    "ScenarioError",
    "compare",
    "load_scenario",
    "run_replications",
    "simulate",
    "sweep",
]
