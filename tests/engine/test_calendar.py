"""horizon.start_date: weekday factors start at the date's weekday."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.model import run
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate
from sim.scenario.schema import Scenario
from tests.conftest import small_scenario

# Only Mondays have parcels.
MONDAYS_ONLY = {"weekday_factors": [1, 0, 0, 0, 0, 0, 0], "parcels_per_capita_day": 0.05}


def _arrival_days(scenario) -> set[int]:
    result = run(scenario, seed=3)
    return set(np.floor(result.ledger.column("t_hub") / 24.0).astype(int).tolist())


def test_without_a_date_day_0_is_a_monday():
    scenario = small_scenario(horizon={"days": 8, "warmup_days": 1}, demand=MONDAYS_ONLY)
    assert _arrival_days(scenario) == {0, 7}


def test_a_start_date_moves_the_weekdays():
    # 2026-07-01 is a Wednesday, so the first Monday is day 5 (2026-07-06).
    scenario = small_scenario(
        horizon={"days": 8, "warmup_days": 1, "start_date": "2026-07-01"}, demand=MONDAYS_ONLY
    )
    assert _arrival_days(scenario) == {5}


def test_a_monday_start_date_changes_nothing():
    plain = small_scenario()
    dated = small_scenario(horizon={"start_date": "2026-07-06"})
    a, b = run(plain, seed=2).parcels, run(dated, seed=2).parcels
    assert a.equals(b)


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "July 1st"])
def test_an_impossible_start_date_names_the_field(value):
    with pytest.raises(ScenarioError, match=r"horizon\.start_date"):
        validate(Scenario, {"horizon": {"start_date": value}})
