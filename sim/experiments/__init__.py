"""Experiments: paired comparisons, parameter sweeps and warm-up detection.

One function per experiment, each returning a result object whose ``.table`` is the
table its results folder holds: ``run_scenario`` (``RunResult``, ``kpis.csv``),
``compare`` (``Comparison``, ``comparison.csv``), ``sweep`` (``SweepResult``,
``sweep.csv``), ``warmup`` (``WarmupResult``) and ``run_region`` (``RegionResult``:
many independent counties merged); each also keeps every replication's
KPIs and how it was run.
Replications run serially, on a process pool (``jobs``) or on Dask (``dask``),
with identical results.
"""

from sim.experiments.core import (
    Comparison,
    RunResult,
    SweepResult,
    WarmupResult,
    compare,
    run_scenario,
    sweep,
    warmup,
)
from sim.experiments.design import SweepDesign, load_design, parse_vary
from sim.experiments.errors import ExperimentError
from sim.experiments.executors import make_executor
from sim.experiments.region import Region, RegionResult, load_region, run_region
from sim.experiments.replications import run_replications

__all__ = [
    "Comparison",
    "RunResult",
    "ExperimentError",
    "Region",
    "RegionResult",
    "SweepDesign",
    "SweepResult",
    "WarmupResult",
    "compare",
    "load_design",
    "load_region",
    "make_executor",
    "parse_vary",
    "run_region",
    "run_replications",
    "run_scenario",
    "sweep",
    "warmup",
]
