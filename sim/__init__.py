"""ruralsim: discrete-event simulation of a county's rural parcel network.

The public API is small: load a scenario, simulate it, summarise replications,
compare scenarios with common random numbers, sweep parameters.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names are imported on first use, not here: the ``ruralsim`` command imports
# this package before its main() can turn a Ctrl-C into exit status 130, so
# importing the package must not pull in numpy, pandas, pydantic or PyVRP.
_WHERE = {
    "KPI_NAMES": "sim.analysis.kpis",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "compare": "sim.experiments",
    "load_scenario": "sim.scenario",
    "run_replications": "sim.experiments",
    "simulate": "sim.runner",
    "sweep": "sim.experiments",
}

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

if TYPE_CHECKING:  # for type checkers and editors
    from sim.analysis.kpis import KPI_NAMES
    from sim.experiments import compare, run_replications, sweep
    from sim.runner import simulate
    from sim.scenario import Scenario, ScenarioError, load_scenario


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
