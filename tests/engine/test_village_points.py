"""Village points with opening hours and shelves of a given size."""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.engine.ledger import HOME_DELIVERY, OVER_STORAGE
from sim.engine.points import next_opening
from tests.conftest import small_scenario

HOURS = ({"start": "08:00", "end": "12:00"}, {"start": "15:00", "end": "19:30"})


def test_next_opening_by_hand():
    hours = ((8.0, 12.0), (15.0, 19.5))
    t = np.array([9.0, 7.0, 12.0, 13.0, 19.5, 23.0, 24 + 16.25, 48 + 2.0])
    want = np.array([9.0, 8.0, 15.0, 15.0, 24 + 8.0, 24 + 8.0, 24 + 16.25, 48 + 8.0])
    np.testing.assert_allclose(next_opening(t, hours), want)
    np.testing.assert_array_equal(next_opening(t, ()), t)  # always open


def _run(seed=3, **points):
    scenario = small_scenario(
        demand={"parcels_per_capita_day": 0.02},
        points={"home_delivery_share": 0.3, **points},
    )
    return simulate(scenario, seed=seed)


@pytest.fixture(scope="module")
def always_open():
    return _run()


def test_no_parcel_is_collected_while_the_point_is_closed(always_open):
    run = _run(opening_hours=HOURS)
    parcels = run.parcels
    collected = parcels["t_at_point"].notna() & (parcels["flags"] & HOME_DELIVERY == 0)
    clock = parcels.loc[collected, "t_picked_up"].to_numpy() % 24.0
    open_ = ((clock >= 8) & (clock < 12)) | ((clock >= 15) & (clock < 19.5))
    assert collected.sum() > 100 and open_.all()
    # Hours only ever make a villager wait: never earlier than when always open.
    before = always_open.parcels["t_picked_up"].to_numpy()
    after = parcels["t_picked_up"].to_numpy()
    both = ~np.isnan(before)
    assert (after[both] >= before[both]).all() and (after[both] > before[both]).any()
    np.testing.assert_array_equal(always_open.parcels["t_at_point"], parcels["t_at_point"])
    assert run.kpis["door_time_mean_h"] > always_open.kpis["door_time_mean_h"]


def test_always_open_unlimited_points_are_todays_behaviour(always_open):
    # Written out, the defaults give the same run as leaving them out.
    explicit = _run(opening_hours=[{"start": "00:00", "end": "24:00"}], storage_parcels=None)
    assert explicit.kpis == pytest.approx(always_open.kpis, rel=0, abs=0, nan_ok=True)
    # Today's rule: collected exactly pickup_delay_h after reaching the point.
    parcels = always_open.parcels
    at_point = parcels["t_at_point"].notna()
    np.testing.assert_allclose(
        parcels.loc[at_point, "t_picked_up"],
        parcels.loc[at_point, "t_at_point"] + parcels.loc[at_point, "pickup_delay_h"],
    )
    assert always_open.kpis["point_overflow_parcels"] == 0


def test_full_shelves_are_counted_and_parcels_still_left(always_open):
    tiny = _run(storage_parcels=2)
    none = _run(storage_parcels=0)
    # Shelves change nothing about where parcels go or when they are collected.
    for run in (tiny, none):
        np.testing.assert_array_equal(
            run.parcels["t_picked_up"], always_open.parcels["t_picked_up"]
        )
    flagged = (none.parcels["flags"] & OVER_STORAGE) != 0
    waiting = none.parcels["t_at_point"].notna() & (none.parcels["flags"] & HOME_DELIVERY == 0)
    # No shelf at all: every parcel left to wait is over storage, and only those.
    assert (flagged == waiting).all()
    # Smaller shelves never overflow less often.
    assert 0 < tiny.kpis["point_overflow_parcels"] <= none.kpis["point_overflow_parcels"]
    assert _run(storage_parcels=10_000).kpis["point_overflow_parcels"] == 0
