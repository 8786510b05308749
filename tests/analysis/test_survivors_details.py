"""Tests written for mutants of sim/analysis/details.py that survived mutation testing.

The tiny network of tests/engine/test_tiny_network.py (hub H, station S, villages A and
B) and a hand-made run whose parcel times are chosen in the test. See docs/testing.md.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from sim import simulate
from sim.analysis.details import (
    daily_series,
    lead_time_percentiles,
    network_tables,
    village_lead_times,
)
from tests.engine.test_tiny_network import tiny


def test_a_run_without_parcels_has_undefined_lead_times_and_no_warnings(tmp_path):
    scenario = tiny(tmp_path, "via_township")
    scenario = scenario.model_copy(
        update={"demand": scenario.demand.model_copy(update={"parcels_per_capita_day": 0.0})}
    )
    run = simulate(scenario, seed=1)
    assert len(run.parcels) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0 / 0 parcels is a missing mean, not a warning
        cdf = lead_time_percentiles(run)
        villages = village_lead_times(run)
    assert len(cdf) == 101 and cdf["lead_time_h"].dtype == np.float64
    assert cdf["lead_time_h"].isna().all()
    # every village has a row even though no parcel went anywhere
    assert list(villages["village"]) == ["A", "B"]
    assert list(villages["parcels"]) == [0, 0] and list(villages["delivered"]) == [0, 0]
    assert villages["lead_time_mean_h"].isna().all()


def test_network_tables_by_hand(tmp_path):
    run = simulate(tiny(tmp_path, "via_township"), seed=3)
    villages = village_lead_times(run)
    assert list(villages["township"]) == ["S", "S"]
    places, services = network_tables(run.plan)
    assert list(places["id"]) == ["H", "S", "A", "B"]
    assert list(places["parent"]) == ["", "H", "S", "S"]  # the hub has none
    assert list(places["population"]) == [0, 0, 1000, 1000]
    services = services.set_index("stops")
    # the trunk leaves at 08:00, the township van at 09:00 and 15:00; vans of 10,000
    # parcels carry ~100 parcels a village with one vehicle
    assert services.loc[["H S H", "S A S", "S B S"], "departures"].tolist() == [1, 2, 2]
    assert services.loc[["H S H", "S A S", "S B S"], "vehicles"].tolist() == [1, 1, 1]


class _Ledger:
    cold_chain = True  # parcels may spoil

    def __init__(self, **columns):
        self.columns = {name: np.array(values, dtype=float) for name, values in columns.items()}
        self.n = len(self.columns["t_hub"])  # rows, as a ledger's n

    def column(self, name):
        return self.columns[name]


def _run(ledger, end_h, sorting_busy_h, warmup_days=1, days=13):
    horizon = SimpleNamespace(warmup_days=warmup_days, days=days)
    sorting = SimpleNamespace(shifts=[SimpleNamespace(start=6.0, end=22.0)])  # 16 h a day
    scenario = SimpleNamespace(horizon=horizon, hub=SimpleNamespace(sorting=sorting))
    return SimpleNamespace(
        ledger=ledger, scenario=scenario, end_h=end_h, sorting_busy_h=np.array(sorting_busy_h)
    )


def test_daily_series_of_four_parcels_by_hand():
    nan = np.nan
    ledger = _Ledger(
        # p0 via the station, delivered on day 1; p1 straight to its village on day 0;
        # p2 waits at the hub over the end of day 0 and is delivered on day 2;
        # p3 arrives on day 1 and never leaves the hub
        t_hub=[2.0, 10.0, 20.0, 26.0],
        t_left_hub=[3.0, 11.0, 40.0, nan],
        t_station=[5.0, nan, 45.0, nan],
        t_at_point=[30.0, 12.0, 50.0, nan],
        destination=[1, 1, 1, 1],  # villages' parcels (the county town's are destination 0)
        direction=[0, 0, 0, 0],
        t_spoiled=[nan] * 4,
    )
    # 13 measured-or-warm-up days and one drain day: 14 days of 24 h
    daily = daily_series(_run(ledger, end_h=14 * 24.0, sorting_busy_h=[8.0, 4.0]))
    zeros = [0] * 11
    assert list(daily["day"]) == list(range(14))
    assert list(daily["measured"]) == [False] + [True] * 12 + [False]
    assert list(daily["parcels_arrived"]) == [3, 1, 0] + zeros
    assert list(daily["parcels_delivered"]) == [1, 1, 1] + zeros
    # end of day 0: p2 at the hub; later p3 for ever
    assert list(daily["backlog_hub_end"]) == [1, 1, 1] + [1] * 11
    # end of day 0: p0 at the station (p1 never went through one); day 1: p2
    assert list(daily["backlog_stations_end"]) == [1, 1, 0] + zeros
    # busy hours over the 16 shift hours; no record after day 1 is no work
    assert list(daily["sorting_utilization"]) == pytest.approx([0.5, 0.25] + [0.0] * 12)


def test_spoiled_perishables_leave_the_daily_backlogs_by_hand():
    nan = np.nan
    ledger = _Ledger(
        # p0 spoils at the station on day 1 (reached it on day 1); p1 spoils at the hub on
        # day 5; p2, a farm product, spoils at its point on day 0 (in no backlog)
        t_hub=[20.0, 26.0, nan],
        t_left_hub=[22.0, nan, nan],
        t_station=[45.0, nan, nan],
        t_at_point=[nan, nan, nan],
        destination=[1, 1, 0],
        direction=[0, 0, 1],
        t_spoiled=[47.0, 130.0, 3.0],
    )
    daily = daily_series(_run(ledger, end_h=14 * 24.0, sorting_busy_h=[]))
    assert list(daily["parcels_delivered"]) == [0] * 14
    # day 0: p0 left the hub at 22:00; days 1-4: p1, until it spoils at 130 h (day 5)
    assert list(daily["backlog_hub_end"]) == [0] + [1] * 4 + [0] * 9
    assert list(daily["backlog_stations_end"]) == [0] * 14


def test_every_day_of_the_run_has_a_row():
    ledger = _Ledger(
        t_hub=[], t_left_hub=[], t_station=[], t_at_point=[], destination=[], direction=[],
        t_spoiled=[],
    )  # fmt: skip
    daily = daily_series(_run(ledger, end_h=30 * 24.0, sorting_busy_h=[], days=29))
    assert list(daily["day"]) == list(range(30))


def test_a_direct_run_has_no_station_backlog(tmp_path):
    run = simulate(tiny(tmp_path, "direct"), seed=3)
    daily = daily_series(run)
    assert run.parcels["t_station"].isna().all()
    assert list(daily["backlog_stations_end"]) == [0, 0]


def test_arrivals_of_the_measured_days_are_the_measured_cohort(tmp_path):
    # One wave at 00:00 sharp: day 1's parcels reach the hub at exactly 24.0 h.
    scenario = tiny(tmp_path, "via_township")
    midnight = scenario.demand.waves[0].model_copy(update={"time": 0.0})
    scenario = scenario.model_copy(
        update={
            "demand": scenario.demand.model_copy(update={"waves": (midnight,)}),
            "horizon": scenario.horizon.model_copy(update={"days": 2, "warmup_days": 1}),
        }
    )
    run = simulate(scenario, seed=1)
    assert set(run.parcels["t_hub"]) == {0.0, 24.0}
    daily = daily_series(run)
    measured = daily[daily["measured"]]
    # conservation: the parcels that arrived in the measured days are the KPI cohort
    assert measured["parcels_arrived"].sum() == run.kpis["parcels_generated"]
