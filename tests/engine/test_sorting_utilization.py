"""Sorting-line busy time is booked to the shift hours it is worked in; utilisation in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest

from sim import simulate
from sim.analysis.details import daily_series
from sim.engine.queueing import BusyByDay, WorkingClock, fifo_departures_in_shifts
from tests.conftest import small_scenario

TWO_SHIFTS = [(8.0, 12.0), (13.0, 17.0)]  # 8 working hours a day


def test_backlog_is_booked_to_the_days_it_is_worked():
    clock = WorkingClock(TWO_SHIFTS)
    busy = BusyByDay(clock.hours_per_day)
    # 20 jobs of half an hour arrive at 09:00 on day 0 (working time 1): 10 h of work
    # from working time 1 to 11. Day 0 (working time 0-8) gets 7 h, day 1 the other 3 h.
    fifo_departures_in_shifts(np.full(20, 9.0), np.full(20, 0.5), clock, busy=busy)
    assert busy.per_day(3) == pytest.approx([7.0, 3.0, 0.0])
    # A second batch on day 2 at 16:00 (working time 16 + 7 = 23) with 3 h of work: 1 h on
    # day 2, 2 h on day 3; a day cut off by per_day is left out.
    fifo_departures_in_shifts([64.0], [3.0], clock, busy=busy)
    assert busy.per_day(5) == pytest.approx([7.0, 3.0, 1.0, 2.0, 0.0])
    assert busy.per_day(3) == pytest.approx([7.0, 3.0, 1.0])


def test_one_job_longer_than_a_day_fills_every_day_it_spans():
    clock = WorkingClock(TWO_SHIFTS)
    busy = BusyByDay(clock.hours_per_day)
    # Arrives 08:00 on day 1 (working time 8) and needs 20 h: days 1 and 2 full, 4 h on day 3.
    fifo_departures_in_shifts([32.0], [20.0], clock, busy=busy)
    assert busy.per_day(4) == pytest.approx([0.0, 8.0, 8.0, 4.0])


def _sorting_scenario(rate_per_h: float, days: int = 4):
    return small_scenario(
        horizon={"days": days, "warmup_days": 1, "drain_days": 1},
        demand={"parcels_per_capita_day": 0.05},
        hub={
            "sorting": {
                "rate_per_h": rate_per_h,
                "service": "deterministic",
                "shifts": [{"start": "05:00", "end": "22:00"}],
            }
        },
    )


def test_overloaded_sorter_is_busy_every_shift_hour_and_no_more():
    scenario = _sorting_scenario(rate_per_h=20.0)
    run = simulate(scenario, seed=1)
    arrived_per_day = run.kpis["parcels_generated"] / 3
    # More than 17 h of work arrive every day (and the same holds on day 0), so from
    # day 1 on every shift starts with a backlog and never empties: each measured day
    # the line works all its 17 h. The old booking gave offered work / shift hours > 1.
    assert arrived_per_day / 20.0 > 1.5 * 17
    assert run.kpis["sorting_utilization"] <= 1.0
    assert run.kpis["sorting_utilization"] == pytest.approx(1.0, abs=1e-9)
    assert np.all(run.sorting_busy_h <= 17.0)
    assert run.sorting_busy_h[1:] == pytest.approx(17.0)
    # The report's daily series: the same hours per day, so at most 1 every day.
    daily = daily_series(run)["sorting_utilization"].to_numpy()
    assert daily.size == 5 and np.all(daily <= 1.0)
    assert daily[1:] == pytest.approx(1.0)


def test_underloaded_sorter_utilisation_is_offered_work_over_shift_hours():
    rate = 2000.0
    scenario = _sorting_scenario(rate_per_h=rate)
    run = simulate(scenario, seed=1)
    # Every parcel of a day is sorted that day (a few hundred parcels at 2,000/h), so the
    # measured days' busy time is their parcels × 1/rate hours.
    parcels = run.kpis["parcels_generated"]
    assert parcels > 100
    expected = parcels / rate / (17.0 * 3)
    assert run.kpis["sorting_utilization"] == pytest.approx(expected, rel=1e-12)
