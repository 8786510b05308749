"""The measured run is frozen, and the KPIs and detail tables share one cohort and shift rule."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim import simulate
from sim.analysis.details import daily_series
from sim.analysis.kpis import cohort, compute_kpis, delivered_cohort
from sim.engine.model import Run
from tests.conftest import small_scenario


@pytest.fixture(scope="module")
def measured():
    return simulate(small_scenario(delivery={"model": "via_township"}), seed=2)


def test_simulate_returns_a_frozen_run_whose_kpis_are_its_own(measured):
    assert isinstance(measured, Run)
    with pytest.raises(dataclasses.FrozenInstanceError):
        measured.kpis = {}
    engine_run = Run(**{f.name: getattr(measured, f.name) for f in dataclasses.fields(Run)})
    assert compute_kpis(engine_run) == pytest.approx(measured.kpis, nan_ok=True)


def test_the_cohort_is_the_parcels_that_reached_the_hub_in_the_measured_days(measured):
    horizon = measured.scenario.horizon
    day = measured.parcels["t_hub"].to_numpy() // 24
    expected = (day >= horizon.warmup_days) & (day < horizon.days)
    np.testing.assert_array_equal(cohort(measured), expected)
    assert expected.sum() == measured.kpis["parcels_generated"]


def test_the_cohort_masks_are_made_once_per_run_and_cannot_be_changed(measured):
    first = cohort(measured)
    assert cohort(measured) is first  # the KPIs and every detail table share it
    with pytest.raises(ValueError, match="read-only"):
        first[0] = not first[0]
    at_point = measured.parcels["t_at_point"].to_numpy()
    np.testing.assert_array_equal(delivered_cohort(measured), first & ~np.isnan(at_point))
    # The same ledger measured over other days has a cohort of its own.
    horizon = measured.scenario.horizon
    later = horizon.model_copy(update={"warmup_days": horizon.warmup_days + 1})
    other = dataclasses.replace(
        measured, scenario=measured.scenario.model_copy(update={"horizon": later})
    )
    day = measured.parcels["t_hub"].to_numpy() // 24
    expected = (day >= later.warmup_days) & (day < later.days)
    assert 0 < expected.sum() < first.sum()
    np.testing.assert_array_equal(cohort(other), expected)
    assert cohort(measured) is first


def test_daily_and_overall_sorting_utilization_use_the_same_shift_hours(measured):
    daily = daily_series(measured)
    mean = daily.loc[daily["measured"], "sorting_utilization"].mean()
    assert mean == pytest.approx(measured.kpis["sorting_utilization"], rel=1e-12)
