"""Experiments: paired comparisons, parameter sweeps and warm-up detection.

``compare`` and ``sweep`` return the long tables written to ``comparison.csv``
and ``sweep.csv``; ``run_comparison`` and ``run_sweep`` return the full results
(per-replication KPIs, verdicts, how many replications ``"auto"`` took).
Replications run serially, on a process pool (``jobs``) or on Dask (``dask``),
with identical results.
"""

from sim.experiments.core import (
    Comparison,
    RunResult,
    SweepResult,
    WarmupResult,
    compare,
    run_comparison,
    run_scenario,
    run_sweep,
    sweep,
    warmup,
)
from sim.experiments.design import SweepDesign, load_design, parse_vary
from sim.experiments.errors import ExperimentError
from sim.experiments.executors import make_executor
from sim.experiments.replications import run_replications

__all__ = [
    "Comparison",
    "RunResult",
    "ExperimentError",
    "SweepDesign",
    "SweepResult",
    "WarmupResult",
    "compare",
    "load_design",
    "make_executor",
    "parse_vary",
    "run_comparison",
    "run_replications",
    "run_scenario",
    "run_sweep",
    "sweep",
    "warmup",
]
