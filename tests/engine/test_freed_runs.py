"""A finished run's ledger goes when the run does, without waiting for the garbage collector.

Workers run county after county, replication after replication: a reference cycle
through a flow (rounds, farm products going out) would keep each finished run's ledger,
hundreds of MB for a county-year, alive until a full collection happened to run.
"""

from __future__ import annotations

import gc
import weakref

import pytest

from sim.engine.model import run as engine_run
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS


@pytest.mark.parametrize(
    "name",
    [
        "leiyang_via_township",  # rounds
        "leiyang_harvest_bus",  # farm products going out, cold chain, buses
        "leiyang_status_quo",  # several networks
    ],
)
def test_a_finished_runs_ledger_is_freed_by_reference_counting(name):
    scenario = load_scenario(
        SCENARIOS / f"{name}.yaml", overrides=["horizon.days=2", "horizon.warmup_days=0"]
    )
    gc.collect()
    gc.disable()
    try:
        run = engine_run(scenario, seed=1, replication=0)
        ledger = weakref.ref(run.ledger)
        del run
        assert ledger() is None
    finally:
        gc.enable()
