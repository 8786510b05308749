"""Demand: each day's mean is population × parcels per capita × weekday factor × peak factor."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from sim.engine.demand import (
    base_daily_parcels,
    day_factor,
    expected_parcels,
    mean_daily_parcels,
)
from sim.engine.model import plan_for, run
from tests.conftest import small_scenario

# Factors whose mean is not 1 (8.5 / 7): a factor applied twice shows as a 21% bias.
WEEKDAY = [0.8, 1.2, 1.5, 2.0, 1.0, 0.7, 1.3]
PEAK = {"start_day": 3, "days": 2, "factor": 1.5}  # Thursday and Friday
PER_CAPITA = 10.0


def _scenario():
    return small_scenario(
        horizon={"days": 7, "warmup_days": 0, "drain_days": 0},
        # ~25,000 residents: at least ~170,000 parcels on each day.
        network={"population": {"mean": 6000}},
        demand={
            "parcels_per_capita_day": PER_CAPITA,
            "weekday_factors": WEEKDAY,
            "peaks": [PEAK],
        },
        routing={"iterations": 10},
        # Hub vans alone: their routes fit even with this much demand to handle.
        delivery={"model": "direct"},
    )


def _definition(population: float, day: int) -> float:
    """The mean of one day, straight from the README's definition."""
    peak = PEAK["factor"] if PEAK["start_day"] <= day < PEAK["start_day"] + PEAK["days"] else 1.0
    return population * PER_CAPITA * WEEKDAY[day % 7] * peak


def test_each_days_parcels_match_the_definition():
    scenario = _scenario()
    population = float(plan_for(scenario).geography.population.sum())
    result = run(scenario, seed=3)
    per_day = np.bincount((result.ledger.column("t_hub") // 24).astype(int), minlength=7)
    assert per_day.size == 7
    for day, count in enumerate(per_day):
        mean = _definition(population, day)
        # The day's count is Poisson(mean). Accepting within 5 sd is a false alarm once in
        # ~1.7 million; a count biased by 2% would still be caught with probability
        # >= 0.999 when 2% of the mean is at least (5 + 3.09) sd (test_demand_rules.py).
        assert 0.02 * mean >= (5 + 3.09) * np.sqrt(mean)
        assert abs(count - mean) <= 5 * np.sqrt(mean), (day, count, mean)


def test_derived_quantities_follow_the_definition():
    scenario = _scenario()
    demand = scenario.demand
    population = np.array([0.0, 100.0, 300.0])
    assert base_daily_parcels(demand, population).tolist() == [0.0, 1000.0, 3000.0]
    assert mean_daily_parcels(demand, population) == pytest.approx(
        [0.0, 1000.0 * 8.5 / 7, 3000.0 * 8.5 / 7]
    )
    assert [day_factor(demand, d) for d in range(8)] == pytest.approx(
        [0.8, 1.2, 1.5, 3.0, 1.5, 0.7, 1.3, 0.8]
    )
    total = sum(_definition(400.0, day) for day in range(9))
    assert expected_parcels(demand, population, 9) == pytest.approx(total)


@pytest.mark.parametrize("seed", range(5))
def test_arrival_order_is_the_stable_sort_even_with_equal_times(seed):
    """Equal hub arrival times keep their drawn order, as a stable sort keeps them."""
    from sim.engine.demand import arrival_order

    rng = np.random.default_rng(seed)
    drawn = rng.uniform(0.0, 24.0, 2000)
    assert np.array_equal(arrival_order(drawn), np.argsort(drawn, kind="stable"))
    # Many equal times (a wave unloaded in no time): the fast sort would mix them.
    waves = rng.choice([5.5, 12.0], size=2000) + (rng.random(2000) < 0.5) * rng.random(2000)
    expected = np.argsort(waves, kind="stable")
    assert np.array_equal(arrival_order(waves), expected)
    assert not np.array_equal(np.argsort(waves), expected)  # the case is a real one


@settings(max_examples=300, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.integers(0, 300),
        elements=st.one_of(
            st.sampled_from([0.0, -0.0, 5.5, 5.5 + 2**-40, 1e-300, 5e-324, np.inf, np.nan]),
            st.floats(allow_nan=True, allow_infinity=True),
            st.floats(1200.0, 1224.0),
        ),
    )
)
def test_arrival_order_is_exactly_the_stable_sort(times):
    """Buckets then an exact sort give numpy's stable order for any times, ties and all."""
    from sim.engine.demand import arrival_order

    np.testing.assert_array_equal(arrival_order(times), np.argsort(times, kind="stable"))
