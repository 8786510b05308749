"""How one replication is put together: every day alike, the seed argument, the ledger's
fixed columns. Found by mutation testing (docs/testing.md).

The county of test_tiny_network; parcels at the hub at 06:00 every day, one hub van
per village at 08:00 (6 min loading, sqrt(109) km at 40 km/h, 6 min unloading).
"""

from __future__ import annotations

import numpy as np

from sim import simulate
from sim.engine.ledger import INBOUND
from tests.engine.test_order_and_units import build
from tests.engine.test_tiny_network import tiny

AT_POINT = 8.0 + 0.1 + np.hypot(3, 10) / 40 + 0.1  # clock hours


def test_every_day_is_like_day_zero(tmp_path):
    # Ten days: day d's parcels reach the hub at 24 d + 6 h and the point at 24 d + AT_POINT
    # (a day generated late, e.g. on a 25 h clock, would miss its 08:00 van by day 8).
    scenario = build(tiny(tmp_path, "direct"), **{"horizon.days": 10, "horizon.drain_days": 1})
    parcels = simulate(scenario, seed=3).parcels
    day = parcels["t_hub"] // 24
    assert sorted(day.unique()) == list(range(10))
    np.testing.assert_allclose(parcels["t_hub"] - 24 * day, 6.0)
    np.testing.assert_allclose(parcels["t_at_point"] - 24 * day, AT_POINT)
    # Inbound parcels are created when they reach the hub, and come from the hub (place 0).
    np.testing.assert_array_equal(parcels["t_created"], parcels["t_hub"])
    assert (parcels["origin"] == 0).all() and (parcels["direction"] == INBOUND).all()


def test_seed_argument_chooses_the_random_numbers(tmp_path):
    scenario = tiny(tmp_path, "direct")  # the scenario's own seed is 1 (schema default)
    one, two = simulate(scenario, seed=1), simulate(scenario, seed=2)
    default = simulate(scenario)
    assert (one.seed, one.replication, two.seed) == (1, 0, 2)
    np.testing.assert_array_equal(default.parcels.to_numpy(), one.parcels.to_numpy())
    # Two seeds give other Poisson counts: equal counts in both villages would be a
    # coincidence of probability well under 1% (each count ~ Poisson(100)).
    counts = [np.bincount(r.parcels["destination"], minlength=4)[2:] for r in (one, two)]
    assert not np.array_equal(*counts)
    third = simulate(scenario, seed=1, replication=1)
    assert third.replication == 1
    assert not np.array_equal(np.bincount(third.parcels["destination"], minlength=4)[2:], counts[0])
