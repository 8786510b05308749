"""Demand peaks given by date (demand.peaks[i].start_date) when horizon.start_date is set."""

from __future__ import annotations

import pytest

from sim.runner import simulate
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS, cli, small_scenario

START = "2026-11-09"  # a Monday; Double 11 (2026-11-11) is then day 2


def peaked(peak: dict) -> Scenario:
    return small_scenario(
        horizon={"days": 3, "warmup_days": 1, "drain_days": 1, "start_date": START},
        demand={"peaks": [{"days": 1, "factor": 2.0, **peak}]},
    )


def test_a_peak_by_date_is_the_peak_by_its_day_number():
    by_date = peaked({"start_date": "2026-11-11"})
    by_day = peaked({"start_day": 2})
    assert by_date.demand.peaks[0].start_day == 2  # 9 November + 2 days
    a, b = simulate(by_date, seed=3), simulate(by_day, seed=3)
    assert a.parcels.equals(b.parcels)
    assert a.kpis == pytest.approx(b.kpis, nan_ok=True)
    # And it is a peak: the day has more parcels than without one (factor 2).
    plain = simulate(small_scenario(horizon=by_day.horizon.model_dump()), seed=3)
    assert len(a.parcels) > len(plain.parcels)


def test_a_peak_by_date_survives_the_resolved_scenario():
    # The resolved scenario (results, baselines) holds both; read back, it is the same.
    scenario = peaked({"start_date": "2026-11-11"})
    again = Scenario.model_validate(scenario.model_dump(mode="json"))
    assert again.demand.peaks == scenario.demand.peaks


@pytest.mark.parametrize(
    ("file", "peak", "words"),
    [
        ("leiyang_direct.yaml", '{"start_date":"2026-11-11","days":3,"factor":1.5}', "needs"),
        ("leiyang_harvest_direct.yaml", '{"start_date":"2027-07-04","days":3,"factor":1.5}',
         "before"),
        ("leiyang_harvest_direct.yaml",
         '{"start_date":"2027-07-06","start_day":3,"days":3,"factor":1.5}', "start_day"),
        ("leiyang_direct.yaml", '{"start_date":"2026-02-30","days":3,"factor":1.5}', "date"),
    ],
)  # fmt: skip
def test_a_bad_peak_date_exits_2_naming_the_field(capsys, file, peak, words):
    code, _, err = cli(["validate", SCENARIOS / file, "--set", f"demand.peaks=[{peak}]"], capsys)
    assert code == 2, err
    assert "demand.peaks.0.start_date" in err and words in err and "Traceback" not in err


def test_a_peak_with_neither_start_exits_2(capsys):
    setting = 'demand.peaks=[{"days":3,"factor":1.5}]'
    code, _, err = cli(["validate", SCENARIOS / "leiyang_direct.yaml", "--set", setting], capsys)
    assert code == 2, err
    assert "demand.peaks.0" in err and "start_day" in err and "Traceback" not in err
