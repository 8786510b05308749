"""Same scenario and seed give identical results; different seeds differ."""

from __future__ import annotations

import pandas as pd

from sim import run_replications, simulate
from tests.conftest import small_scenario


def test_same_seed_same_ledger_and_kpis():
    scenario = small_scenario()
    a, b = simulate(scenario, seed=11), simulate(scenario, seed=11)
    pd.testing.assert_frame_equal(a.parcels, b.parcels)
    assert pd.Series(a.kpis).equals(pd.Series(b.kpis))  # NaN-aware


def test_replications_are_independent_children_of_one_seed():
    scenario = small_scenario()
    table = run_replications(scenario, 3, seed=5)
    assert table["lead_time_mean_h"].nunique() == 3
    again = simulate(scenario, seed=5, replication=2)
    assert table.iloc[2]["lead_time_mean_h"] == again.kpis["lead_time_mean_h"]


def test_common_random_numbers_across_delivery_models():
    # The hub does not depend on the delivery model, so with the same seed both
    # models must see exactly the same parcels, sorted at the same times.
    direct = simulate(small_scenario(delivery={"model": "direct"}), seed=4).parcels
    via = simulate(small_scenario(delivery={"model": "via_township"}), seed=4).parcels
    columns = ["destination", "flags", "pickup_delay_h", "t_hub", "t_sorted"]
    pd.testing.assert_frame_equal(direct[columns], via[columns])


def test_plans_are_shared_exactly_when_planning_inputs_agree():
    from sim.engine.model import plan_for

    base = small_scenario()
    same = small_scenario(horizon={"days": 4}, seed=9)
    assert plan_for(base) is plan_for(same)
    bus = {"model": "bus"}
    first = {"policy": "bus_first"}  # keeps every line, carrying parcels or not
    buses = small_scenario(delivery=bus, buses={**first, "corridors": {"capacity_parcels": 5}})
    more = small_scenario(delivery=bus, buses={**first, "corridors": {"capacity_parcels": 9}})
    assert plan_for(buses) is not plan_for(more)
    assert {s.capacities[0] for s in plan_for(more).services if s.is_bus} == {9}
    # The hub's sorting shifts matter to a plan only where no_later compares bus and van.
    shifts = {"sorting": {"shifts": [{"start": "09:00", "end": "22:00"}]}}
    assert plan_for(small_scenario(hub=shifts)) is plan_for(base)
    assert plan_for(small_scenario(delivery=bus, buses=first, hub=shifts)) is plan_for(
        small_scenario(delivery=bus, buses=first)
    )
    no_later = {"corridors": {"capacity_parcels": 9}}
    assert plan_for(small_scenario(delivery=bus, buses=no_later, hub=shifts)) is not plan_for(
        small_scenario(delivery=bus, buses=no_later)
    )
