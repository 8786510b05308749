"""The report's per-run tables agree with the ledger and with hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.analysis.details import (
    DAY_KINDS,
    daily_series,
    day_kind_kpis,
    lead_time_percentiles,
    network_tables,
    village_lead_times,
)
from tests.conftest import small_scenario
from tests.engine.test_tiny_network import tiny


def test_tiny_network_tables_by_hand(tmp_path):
    run = simulate(tiny(tmp_path, "via_township"), seed=3)
    cdf = lead_time_percentiles(run)
    np.testing.assert_allclose(cdf["lead_time_h"], 3.3)  # every parcel: 06:00 -> 09:18
    villages = village_lead_times(run).set_index("village")
    assert list(villages.index) == ["A", "B"]
    np.testing.assert_allclose(villages["road_km_from_hub"], np.hypot(3, 10))
    np.testing.assert_allclose(villages["lead_time_mean_h"], 3.3)
    assert villages["parcels"].sum() == len(run.parcels)
    daily = daily_series(run)
    assert list(daily["parcels_arrived"]) == [len(run.parcels), 0]
    assert list(daily["backlog_hub_end"]) == [0, 0]
    # ~06:00:0x to 06:03: each parcel takes one second on the sorter (3,600 an hour).
    assert daily["sorting_utilization"].iloc[0] == pytest.approx(len(run.parcels) / 3600 / 24)
    places, services = network_tables(run.plan)
    assert list(places["level"]) == ["hub", "station", "point", "point"]
    assert sorted(services["stops"]) == ["H S H", "S A S", "S B S"]


def test_tables_agree_with_the_ledger_and_kpis():
    run = simulate(small_scenario(delivery={"model": "via_township"}), seed=2)
    cdf = lead_time_percentiles(run).set_index("quantile")["lead_time_h"]
    assert np.all(np.diff(cdf.to_numpy()) >= 0)
    assert cdf.loc[0.9] == pytest.approx(run.kpis["lead_time_p90_h"])
    villages = village_lead_times(run)
    assert villages["parcels"].sum() == run.kpis["parcels_generated"]
    weighted = (villages["lead_time_mean_h"] * villages["delivered"]).sum() / villages[
        "delivered"
    ].sum()
    assert weighted == pytest.approx(run.kpis["lead_time_mean_h"])
    daily = daily_series(run)
    assert daily["parcels_arrived"].sum() == len(run.parcels)
    assert daily["parcels_delivered"].sum() == run.parcels["t_at_point"].notna().sum()
    assert (daily[["backlog_hub_end", "backlog_stations_end"]] >= 0).all().all()


def test_ordinary_and_peak_days_add_up_to_the_kpis():
    # Days 0-5, day 0 warm-up; a 2-day peak on days 3-4 of the measured days 1-5.
    scenario = small_scenario(
        horizon={"days": 6, "warmup_days": 1, "drain_days": 2},
        demand={
            "parcels_per_capita_day": 0.01,
            "urban_share": 0.3,
            "peaks": [{"start_day": 3, "days": 2, "factor": 1.8}],
        },
    )
    run = simulate(scenario, seed=5)
    table = day_kind_kpis(run).set_index("kind")
    k = run.kpis
    assert tuple(table.index) == DAY_KINDS
    assert list(table["days"]) == [3, 2]
    assert table["parcels"].sum() == k["parcels_generated"]
    assert table["delivered"].sum() == k["parcels_delivered"]
    assert table["urban_parcels"].sum() == k["urban_parcels"]
    # The overall mean lead time is the parcel-weighted mean of the two kinds'.
    weighted = (table["lead_time_mean_h"] * table["delivered"]).sum() / table["delivered"].sum()
    assert weighted == pytest.approx(k["lead_time_mean_h"])
    # 1.8x the parcels on 2 days against 1x on 3: per day, the peak carries more.
    per_day = table["parcels"] / table["days"]
    assert per_day["peak"] > 1.4 * per_day["ordinary"]


def test_without_peaks_every_day_is_ordinary():
    run = simulate(small_scenario(), seed=1)
    table = day_kind_kpis(run).set_index("kind")
    assert table.loc["peak", "days"] == 0 and table.loc["peak", "parcels"] == 0
    assert np.isnan(table.loc["peak", "lead_time_mean_h"])
    assert table.loc["ordinary", "parcels"] == run.kpis["parcels_generated"]
    assert table.loc["ordinary", "on_time_24h_share"] == pytest.approx(
        run.kpis["on_time_24h_share"]
    )
