"""Common random numbers: the same seed gives the same parcels, whatever a peak adds.

Without them a peak on one day would redraw every later day's parcels, and a paired
comparison of "peak" against "no peak" would measure chance, not the peak (a peak
could then cost less than no peak).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import simulate
from sim.engine.demand import base_daily_parcels, inbound_day
from sim.engine.ledger import HOME_DELIVERY, PERISHABLE
from sim.engine.streams import STREAMS, Streams
from sim.scenario.schema import Demand
from tests.conftest import small_scenario

PARCEL = ["destination", "drawn_flags", "pickup_delay_h", "t_hub"]


def ordinary_parcels(parcels: pd.DataFrame) -> pd.DataFrame:
    # What a parcel is when it reaches the hub; the other flags record what befell it.
    drawn = parcels["flags"] & (PERISHABLE | HOME_DELIVERY)
    return parcels.assign(drawn_flags=drawn)[PARCEL].reset_index(drop=True)


def test_a_peak_adds_parcels_and_changes_none_of_the_others():
    days = {"days": 4, "warmup_days": 1, "drain_days": 1}
    plain = small_scenario(horizon=days)
    peak = small_scenario(
        horizon=days, demand={"peaks": [{"start_day": 1, "days": 1, "factor": 3}]}
    )
    a = simulate(plain, seed=3).parcels
    b = simulate(peak, seed=3).parcels
    day_a, day_b = (a["t_hub"] // 24).astype(int), (b["t_hub"] // 24).astype(int)
    # Days 0, 2 and 3: exactly the same parcels, villagers and arrival times.
    for day in (0, 2, 3):
        pd.testing.assert_frame_equal(
            ordinary_parcels(a[day_a == day]), ordinary_parcels(b[day_b == day])
        )
    # Day 1: every ordinary parcel is still there, in the same order, with more beside it.
    ordinary = ordinary_parcels(a[day_a == 1])
    busy = ordinary_parcels(b[day_b == 1])
    assert len(busy) > 2 * len(ordinary) > 0  # factor 3: about three times as many
    merged = busy.merge(ordinary, how="inner", on=PARCEL)
    pd.testing.assert_frame_equal(merged.reset_index(drop=True), ordinary)


def test_a_trough_keeps_a_subset_of_the_ordinary_parcels():
    demand = Demand.model_validate({"parcels_per_capita_day": 0.5})
    trough = Demand.model_validate(
        {"parcels_per_capita_day": 0.5, "peaks": [{"start_day": 0, "days": 1, "factor": 0.5}]}
    )
    base = base_daily_parcels(demand, np.array([0.0, 400.0, 900.0]))
    whole = inbound_day(demand, base, 0, Streams(8))
    half = inbound_day(trough, base, 0, Streams(8))
    kept = set(zip(whole.destination.tolist(), whole.t_hub.tolist(), strict=True))
    assert set(zip(half.destination.tolist(), half.t_hub.tolist(), strict=True)) <= kept
    # 650 parcels expected on the whole day, 325 on the thinned one (sd 18).
    assert abs(half.destination.size - 325) < 5 * np.sqrt(325)
    assert not half.added_by_peak.any()


def test_each_day_has_its_own_stream_and_names_are_registered():
    streams = Streams(5)
    assert streams.day("demand", 3).random() == Streams(5).day("demand", 3).random()
    assert streams.day("demand", 3).random() != streams.day("demand", 4).random()
    assert streams.day("demand", 3).random() != streams.day("pickup", 3).random()
    assert set(STREAMS) >= {"demand", "demand_peak", "pickup", "sorting", "bus_delay"}
    with pytest.raises(KeyError, match="unknown random stream 'demnad'"):
        streams["demnad"]
    with pytest.raises(KeyError, match="unknown random stream"):
        streams.day("pickups", 0)
