"""The hub line across daily batches and the open-box check, by hand.

The county of test_tiny_network (hub H, station S, villages A and B of 1,000 residents).
The hub receives each day's parcels as one batch at midnight; a queue that is still
busy at midnight must carry over into the next day's batch, for inspection and for
sorting alike. Found by mutation testing (docs/testing.md): the state passed from one
batch to the next was not checked by any test.
"""

from __future__ import annotations

import numpy as np

from sim import simulate
from sim.engine.ledger import HOME_DELIVERY, OPEN_BOX, PERISHABLE
from tests.engine.test_order_and_units import build
from tests.engine.test_tiny_network import tiny

SECOND = 1 / 3600


def overloaded(tmp_path, **changes):
    # 0.15 parcels a head a day: ~300 a day, all at 20:00 (one wave, unloaded at once);
    # two days of arrivals, three drain days for the backlog.
    return build(
        tiny(tmp_path, "direct"),
        **{
            "demand.parcels_per_capita_day": 0.15,
            "demand.waves": [{"time": "20:00", "share": 1.0}],
            "horizon.days": 2,
            "horizon.drain_days": 3,
            **changes,
        },
    )


def test_inspection_queue_carries_over_midnight(tmp_path):
    # Inspection 8 parcels/h (0.125 h each): day 0's ~300 parcels keep it busy for
    # ~37.5 h, past day 1's wave at 44 h, so the line never idles: the j-th parcel of
    # both days together (0-based, in hub-arrival order) leaves inspection at
    # 20 h + 0.125 (j + 1) h and the sorter (1 s each, never queueing) 1 s later.
    run = simulate(overloaded(tmp_path, **{"hub.inspection.rate_per_h": 8}), seed=4)
    parcels = run.parcels.sort_values(["t_hub", "t_sorted"])
    day0 = int((parcels["t_hub"] < 24).sum())
    assert day0 * 0.125 > 24 + 1  # still inspecting day 0 when day 1's wave arrives
    j = np.arange(len(parcels))
    np.testing.assert_allclose(parcels["t_sorted"], 20 + 0.125 * (j + 1) + SECOND)


def test_sorting_queue_carries_over_midnight(tmp_path):
    # Inspection 3,600/h (1 s each); sorting 8/h (0.125 h each) from the first arrival at
    # the sorter, 20 h + 1 s, without a break: the j-th parcel is sorted at
    # 20 h + 1 s + 0.125 (j + 1) h, day 1's parcels queueing behind day 0's.
    run = simulate(overloaded(tmp_path, **{"hub.sorting.rate_per_h": 8}), seed=4)
    parcels = run.parcels.sort_values(["t_hub", "t_sorted"])
    assert int((parcels["t_hub"] < 24).sum()) * 0.125 > 24 + 1
    j = np.arange(len(parcels))
    np.testing.assert_allclose(parcels["t_sorted"], 20 + SECOND + 0.125 * (j + 1))


def test_open_box_share_delays_exactly_the_flagged_parcels(tmp_path):
    # ~2,000 parcels at 06:00; inspection 1 s each in ledger order, sorting 0.01 s each
    # (never queueing); 30% are opened for 12.005 min (720.3 s: never at the sorter in the
    # same instant as an unopened parcel, 1 s apart). Half are perishable, half delivered
    # at home: the open-box flag is added to those flags, never replaces them.
    scenario = build(
        tiny(tmp_path, "direct"),
        **{
            "demand.parcels_per_capita_day": 1.0,
            "demand.perishable_share": 0.5,
            "hub.inspection.open_box_share": 0.3,
            "hub.inspection.open_box_min": 12.005,
            "hub.sorting.rate_per_h": 360_000,
            "points.home_delivery_share": 0.5,
            "fleets.hub_van.capacity_parcels": 5000,
        },
    )
    parcels = simulate(scenario, seed=5).parcels  # ledger order = inspection order
    n = len(parcels)
    opened = ((parcels["flags"] & OPEN_BOX) != 0).to_numpy()
    k = np.arange(n)
    expected = 6 + (k + 1) * SECOND + 12.005 / 60 * opened + 0.01 * SECOND
    np.testing.assert_allclose(parcels["t_sorted"], expected, rtol=0, atol=1e-9)
    # The share opened: binomial(n, 0.3) within 5 standard deviations.
    assert abs(opened.sum() - 0.3 * n) <= 5 * np.sqrt(n * 0.3 * 0.7)
    # Flags set before inspection survive it: home delivery means picked up on arrival.
    home = ((parcels["flags"] & HOME_DELIVERY) != 0).to_numpy()
    np.testing.assert_array_equal(home, parcels["t_picked_up"] == parcels["t_at_point"])
    both = opened & ((parcels["flags"] & PERISHABLE) != 0).to_numpy()
    m = opened.sum()
    assert abs(both.sum() - 0.5 * m) <= 5 * np.sqrt(m * 0.25)
    assert home[opened].any() and home[~opened].any()
