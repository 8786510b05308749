"""The report's per-run tables agree with the ledger and with hand-computed cases."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import simulate
from sim.analysis.details import (
    DAY_KINDS,
    daily_series,
    day_kind_kpis,
    day_reached,
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


@pytest.mark.parametrize("chunk_rows", [None, 7])
def test_ordinary_and_peak_days_add_up_to_the_kpis(chunk_rows, monkeypatch):
    if chunk_rows:  # read a few ledger rows at a time: the same table
        monkeypatch.setattr("sim.analysis.rows.CHUNK_ROWS", chunk_rows)
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
    # Each kind's times straight from the parcel frame, by pandas.
    parcels = run.parcels
    day = parcels["t_hub"] // 24.0
    village = (parcels["destination"] != 0) & day.between(1, 5)
    for kind, days in (("ordinary", [1, 2, 5]), ("peak", [3, 4])):
        mine = parcels[village & day.isin(days)]
        lead = (mine["t_at_point"] - mine["t_hub"]).dropna()
        door = (mine["t_picked_up"] - mine["t_hub"])[mine["t_picked_up"] <= run.end_h]
        assert table.loc[kind, "parcels"] == len(mine)
        assert table.loc[kind, "lead_time_mean_h"] == pytest.approx(lead.mean())
        assert table.loc[kind, "lead_time_p90_h"] == pytest.approx(lead.quantile(0.9))
        assert table.loc[kind, "on_time_24h_share"] == pytest.approx((lead <= 24).sum() / len(mine))
        assert table.loc[kind, "door_time_mean_h"] == pytest.approx(door.mean())


def test_without_peaks_every_day_is_ordinary():
    run = simulate(small_scenario(), seed=1)
    table = day_kind_kpis(run).set_index("kind")
    assert table.loc["peak", "days"] == 0 and table.loc["peak", "parcels"] == 0
    assert np.isnan(table.loc["peak", "lead_time_mean_h"])
    assert table.loc["ordinary", "parcels"] == run.kpis["parcels_generated"]
    assert table.loc["ordinary", "on_time_24h_share"] == pytest.approx(
        run.kpis["on_time_24h_share"]
    )


class _Columns:
    """Just enough of a ledger for daily_series: its rows and stage columns by name."""

    cold_chain = True  # some parcels spoil

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        self._columns = columns
        self.n = len(columns["t_hub"])

    def column(self, name: str) -> np.ndarray:
        return self._columns[name]


def _daily_counts_by_sorting(run) -> dict[str, np.ndarray]:
    # The plain way: sort each stage's times and count those before each day's end.
    ledger = run.ledger
    ends = (np.arange(int(round(run.end_h / 24.0))) + 1) * 24.0

    def reached_by(times):  # strictly before the day's end: midnight is the next day
        return np.searchsorted(np.sort(times[~np.isnan(times)]), ends, side="left")

    t_station, t_at_point = ledger.column("t_station"), ledger.column("t_at_point")
    hub_in, at_point = reached_by(ledger.column("t_hub")), reached_by(t_at_point)
    town_in = reached_by(ledger.column("t_hub")[ledger.column("destination") == 0])
    station_in = reached_by(t_station)
    # A spoiled inbound perishable leaves the backlog of where it was when it spoiled.
    t_spoiled = np.where(ledger.column("direction") == 0, ledger.column("t_spoiled"), np.nan)
    spoiled_at_hub = reached_by(t_spoiled[np.isnan(ledger.column("t_left_hub"))])
    return {
        "parcels_arrived": np.diff(hub_in - town_in, prepend=0),
        "urban_parcels_arrived": np.diff(town_in, prepend=0),
        "parcels_delivered": np.diff(at_point, prepend=0),
        "backlog_hub_end": hub_in - reached_by(ledger.column("t_left_hub")) - spoiled_at_hub,
        "backlog_stations_end": station_in
        - reached_by(t_at_point[~np.isnan(t_station)])
        - reached_by(t_spoiled[~np.isnan(t_station) & np.isnan(t_at_point)]),
    }


def _random_stage_times(rng, n: int, days: int) -> dict[str, np.ndarray]:
    """Stage times in order, each stage missing (NaN) for some parcels from there on.

    Some times fall exactly on a day's end or one float step either side of it, some
    after the run's end, and some parcels never pass a station; some spoil.
    """
    t_hub = rng.uniform(-2.0, days * 24.0 + 30.0, n)
    on_edge = rng.random(n) < 0.2
    edge = rng.integers(0, days + 2, n) * 24.0
    t_hub[on_edge] = np.nextafter(edge, edge + rng.integers(-1, 2, n))[on_edge]
    left = t_hub + rng.exponential(3.0, n)
    station = np.where(rng.random(n) < 0.7, left + rng.exponential(4.0, n), np.nan)
    point = np.where(np.isnan(station), left, station) + rng.exponential(5.0, n)
    stages = {"t_hub": t_hub, "t_left_hub": left, "t_station": station, "t_at_point": point}
    # Some parcels are the county town's (destination 0, the hub): sorted, not delivered.
    stages["destination"] = rng.integers(0, 3, n)
    unfinished = rng.integers(1, 5, n)  # the first stage not reached (4: none)
    for rank, name in enumerate(["t_left_hub", "t_station", "t_at_point"], start=1):
        stages[name][unfinished <= rank] = np.nan
    town = stages["destination"] == 0
    stages["t_station"][town] = stages["t_at_point"][town] = np.nan
    # Some unfinished parcels spoil a while after the last stage they reached; a few are
    # farm products going out (no hub arrival, spoiled at a point: in no backlog).
    last = np.fmax(np.fmax(t_hub, stages["t_left_hub"]), stages["t_station"])
    spoils = (unfinished < 4) & (rng.random(n) < 0.5)
    stages["t_spoiled"] = np.where(spoils, last + rng.exponential(2.0, n), np.nan)
    stages["direction"] = (rng.random(n) < 0.1).astype(np.int8)
    outbound = stages["direction"] == 1
    for name in ("t_hub", "t_left_hub", "t_station", "t_at_point"):
        stages[name][outbound] = np.nan
    stages["t_spoiled"][outbound] = rng.uniform(0.0, days * 24.0, n)[outbound]
    return stages


@pytest.mark.parametrize("seed", range(6))
def test_daily_series_counts_equal_those_of_sorting_every_stage(seed, monkeypatch):
    # Blocks of a few rows: the counts added block by block are those of the whole.
    monkeypatch.setattr("sim.analysis.rows.CHUNK_ROWS", 1 + seed * 37)
    rng = np.random.default_rng(seed)
    days = int(rng.integers(1, 9))
    n = int(rng.choice([0, 1, 7, 500, 5000]))
    run = SimpleNamespace(
        ledger=_Columns(_random_stage_times(rng, n, days)),
        scenario=small_scenario(),
        end_h=days * 24.0 + float(rng.uniform(-0.4, 0.4)),  # rounded to whole days
        sorting_busy_h=rng.uniform(0.0, 5.0, days + 1),
    )
    daily = daily_series(run)
    expected = _daily_counts_by_sorting(run)
    assert list(daily["day"]) == list(range(days))
    for name, counts in expected.items():
        assert daily[name].dtype == counts.dtype, name
        np.testing.assert_array_equal(daily[name].to_numpy(), counts, err_msg=name)


@given(
    st.lists(
        st.one_of(
            st.floats(-1.0, 24.0 * 40, allow_nan=False, allow_infinity=False),
            # at, just below and just above day ends, where the division may round up
            st.integers(0, 41).flatmap(
                lambda d: st.sampled_from(
                    [24.0 * d, np.nextafter(24.0 * d, 0.0), np.nextafter(24.0 * d, np.inf)]
                )
            ),
            st.just(np.nan),
        ),
        max_size=60,
    )
)
def test_day_reached_is_the_search_of_the_day_ends(times):
    """The day of each time equals searching the day ends 24, 48, ... (the definition)."""
    times = np.array(times, dtype=float)
    days = 30
    ends = (np.arange(days) + 1) * 24.0
    expected = np.searchsorted(ends, times, side="right")
    assert np.array_equal(day_reached(times, days), expected)
