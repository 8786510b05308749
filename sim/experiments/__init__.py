"""Experiments: paired comparisons, parameter sweeps and warm-up detection.

One function per experiment, each returning a result object whose ``.table`` is the
table its results folder holds: ``run_scenario`` (``RunResult``, ``kpis.csv``),
``compare`` (``Comparison``, ``comparison.csv``), ``sweep`` (``SweepResult``,
``sweep.csv``), ``warmup`` (``WarmupResult``) and ``run_region`` (``RegionResult``:
many independent counties merged); each also keeps every replication's
KPIs and how it was run.
Replications run serially, on a process pool (``jobs``) or on Dask (``dask``),
with identical results.

The names below load with their module when first used: importing a light
submodule, such as ``sim.experiments.executors`` to start the workers' fork server
at once (``sim.cli``), does not import the engine, the analysis and pandas first.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "Comparison": "core",
    "RunResult": "core",
    "SweepResult": "core",
    "WarmupResult": "core",
    "compare": "core",
    "run_scenario": "core",
    "sweep": "core",
    "warmup": "core",
    "SweepDesign": "design",
    "load_design": "design",
    "parse_vary": "design",
    "ExperimentError": "errors",
    "make_executor": "executors",
    "Region": "region",
    "RegionResult": "region",
    "load_region": "region",
    "run_region": "region",
    "run_replications": "replications",
}
"""Each public name and the submodule it comes from."""

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sim.experiments' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sim.experiments.{home}"), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
