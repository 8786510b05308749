"""Parcels for the county town: sorted at the hub, never in the village network."""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.engine.demand import expected_parcels, urban_daily_parcels
from sim.network.geography import HUB, build_geography
from tests.conftest import small_scenario


def _scenario(urban_share: float, **sections):
    return small_scenario(
        demand={"parcels_per_capita_day": 0.01, "urban_share": urban_share},
        hub={
            "sorting": {"rate_per_h": 300, "service": "deterministic"},
            "inspection": {"open_box_share": 0.0},
        },
        **sections,
    )


@pytest.fixture(scope="module")
def pair():
    """The same small county and seed without and with half the hub's parcels urban."""
    return simulate(_scenario(0.0), seed=4), simulate(_scenario(0.5), seed=4)


def test_urban_share_is_the_town_share_of_the_hubs_parcels():
    # s / (1 - s) town parcels per village parcel: 0.6 -> 1.5 per village parcel.
    scenario = _scenario(0.6)
    population = build_geography(scenario.network).population
    village = float(population.sum()) * 0.01
    assert urban_daily_parcels(scenario.demand, population) == pytest.approx(1.5 * village)
    days = scenario.horizon.days
    expected = expected_parcels(scenario.demand, population, days)
    assert expected == pytest.approx(2.5 * village * days)


def test_the_villages_parcels_are_the_same_whatever_the_urban_share(pair):
    without, with_town = pair
    a, b = without.parcels, with_town.parcels
    village = b[b["destination"] != HUB]
    assert (a["destination"] != HUB).all()
    for column in ("destination", "t_hub", "pickup_delay_h"):
        np.testing.assert_array_equal(
            np.sort(a[column].to_numpy()), np.sort(village[column].to_numpy())
        )
    assert without.kpis["parcels_generated"] == with_town.kpis["parcels_generated"]
    assert without.kpis["urban_parcels"] == 0


def test_town_parcels_load_the_sorter_but_never_reach_a_village(pair):
    without, with_town = pair
    ledger = with_town.parcels
    town = ledger[ledger["destination"] == HUB]
    assert len(town) > 0.3 * len(ledger)  # about half of the hub's parcels
    sorted_ = town["t_sorted"].notna()
    assert (town.loc[sorted_, "t_left_hub"] == town.loc[sorted_, "t_sorted"]).all()
    assert town[["t_station", "t_at_point", "t_picked_up"]].isna().all().all()
    assert (town["pickup_delay_h"] == 0).all()
    assert with_town.handed_to_town == int(sorted_.sum())
    # A deterministic FIFO sorter: more parcels in the queue never sort one earlier.
    key = ["destination", "t_hub"]
    before = without.parcels.sort_values(key)["t_sorted"].to_numpy()
    after = ledger[ledger["destination"] != HUB].sort_values(key)["t_sorted"].to_numpy()
    assert (after >= before - 1e-9).all() and (after > before + 1e-9).any()
    assert with_town.kpis["sorting_utilization"] > without.kpis["sorting_utilization"]


def test_urban_kpis_count_the_measured_town_parcels(pair):
    _, run = pair
    ledger, horizon = run.parcels, run.scenario.horizon
    measured = (ledger["t_hub"] >= horizon.warmup_days * 24) & (ledger["t_hub"] < horizon.days * 24)
    town = ledger[measured & (ledger["destination"] == HUB)]
    assert run.kpis["urban_parcels"] == len(town)
    waited = (town["t_sorted"] - town["t_hub"]).dropna()
    assert run.kpis["urban_sorted_mean_h"] == pytest.approx(waited.mean())
    assert run.kpis["parcels_generated"] == int((measured & (ledger["destination"] != HUB)).sum())
