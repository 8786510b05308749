"""A route's rest where nobody boards is ridden out at once, with the results of stop by stop.

``ParcelFlow.closes_at`` says after which stop a departure takes on no more parcels;
from there ``_ride_out`` stamps the parcels for village points in one go. Forcing every
trip to be handled stop by stop to its end (the general path, which the cold chain, farm
products and counted shelves always take) must give the very same parcels, trips, KPIs
and in-network counts, also when the run stops with trips under way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.engine.model import plan_for
from sim.engine.trips import ParcelFlow, _delay_to, last_boarding_stops
from sim.network.geography import POINT
from sim.runner import simulate
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS


def stop_by_stop(flow: ParcelFlow, index: int) -> int:
    return len(flow.plan.services[index].stops) - 1


CASES = [
    ("leiyang_via_township", []),
    ("leiyang_direct", []),
    ("leiyang_bus", []),
    ("leiyang_trunk_bus", []),
    ("leiyang_status_quo", []),
    # Stops mid-route: trips under way are counted pro rata, their parcels on vehicles.
    ("leiyang_via_township", ["horizon.drain_days=0", 'fleets.trunk.departures=["8:30", "17:30"]']),
    ("leiyang_direct", ["horizon.drain_days=0", 'fleets.hub_van.departures=["08:30", "22:00"]']),
    ("leiyang_bus", ["horizon.drain_days=0", "stations.crossdock_min=0"]),
    # A trunk still handing over to stations when the run stops (and one without a dock).
    (
        "leiyang_via_township",
        [
            "horizon.drain_days=0",
            'fleets.trunk.departures=["08:30", "22:30"]',
            'fleets.township_van.departures=["10:00", "16:00"]',
        ],
    ),
    (
        "leiyang_via_township",
        ["stations.crossdock_min=0", 'fleets.township_van.departures=["10:00", "16:00"]'],
    ),
]


@pytest.mark.parametrize(("name", "extra"), CASES)
@pytest.mark.parametrize("batch", [None, 7])
def test_riding_out_equals_stop_by_stop(name, extra, batch, monkeypatch):
    """*batch*: the stamps gathered before they are written (7: many writes mid-run)."""
    scenario = load_scenario(
        SCENARIOS / f"{name}.yaml", overrides=["horizon.days=2", "horizon.warmup_days=0", *extra]
    )
    with monkeypatch.context() as patch:
        if batch is not None:
            patch.setattr("sim.engine.trips.STAMP_BATCH", batch)
        fast = simulate(scenario, seed=5)
    with monkeypatch.context() as patch:
        patch.setattr(ParcelFlow, "closes_at", stop_by_stop)
        slow = simulate(scenario, seed=5)
    pd.testing.assert_frame_equal(fast.parcels, slow.parcels, check_exact=True)
    pd.testing.assert_frame_equal(fast.trips, slow.trips, check_exact=True)
    assert fast.kpis.keys() == slow.kpis.keys()
    for name, value in fast.kpis.items():  # NaN where a KPI is undefined
        assert value == slow.kpis[name] or (np.isnan(value) and np.isnan(slow.kpis[name])), name
    assert fast.in_network == slow.in_network
    if "horizon.drain_days=0" in extra and any("departures" in item for item in extra):
        assert not fast.trips["finished"].all()  # the case it is there for


def test_village_routes_close_at_their_first_stop():
    """Parcels board a township van only at its station: the rest is ridden out."""
    plan = plan_for(load_scenario(SCENARIOS / "leiyang_via_township.yaml"))
    last = last_boarding_stops(plan)
    level = plan.geography.level
    for index, service in enumerate(plan.services):
        if all(level[place] == POINT for place in service.stops[1:]):
            assert last[index] == 0, service.name
    assert np.any(last == 0)


@given(
    st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False),
    st.floats(0.0, 48.0, allow_nan=False, allow_infinity=False),
)
def test_a_ride_out_lands_the_clock_exactly_on_its_last_stop(now, ahead):
    """SimPy adds the delay to its clock: now + _delay_to(now, then) is then, bit for bit."""
    then = now + ahead
    delay = _delay_to(now, then)
    assert delay >= 0.0
    assert now + delay == then
