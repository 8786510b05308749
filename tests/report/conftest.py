"""Small results folders, made once per test session (in pytest's temporary folders)."""

from __future__ import annotations

import pytest

from sim.experiments import compare, sweep
from tests.conftest import small_scenario


def direct():
    return small_scenario(
        name="sc_direct", delivery={"model": "direct"}, description="Hub vans to every village."
    )


def via():
    return small_scenario(
        name="sc_via",
        title=VIA_TITLE,
        delivery={"model": "via_township"},
        description="Trunk, then township vans.",
    )


VIA_TITLE = "Via township (hub → station → village)"
"""sc_via's title: the report shows it wherever it names the scenario (sc_direct has none)."""


@pytest.fixture(scope="session")
def compare_folder(tmp_path_factory):
    """A finished comparison of two small scenarios (3 replications)."""
    out = tmp_path_factory.mktemp("report") / "cmp"
    compare([direct(), via()], replications=3, seed=2, out=out)
    return out


@pytest.fixture(scope="session")
def sweep_folder(tmp_path_factory):
    """A finished sweep of a small scenario over the sorting rate (3 points, 2 replications)."""
    out = tmp_path_factory.mktemp("report") / "sweep"
    sweep(via(), {"hub.sorting.rate_per_h": [20, 60, 8000]}, replications=2, seed=2, out=out)
    return out


PEAK = {"start_day": 2, "days": 1, "factor": 3.0}
"""Day 2 of 3 (day 0 is warm-up): one peak day and one ordinary day measured."""


@pytest.fixture(scope="session")
def peak_compare_folder(tmp_path_factory):
    """A finished comparison of direct (no peak) and via-township with a peak (3 replications)."""
    out = tmp_path_factory.mktemp("report") / "peak"
    peak = small_scenario(
        name="sc_peak",
        delivery={"model": "via_township"},
        demand={"parcels_per_capita_day": 0.01, "peaks": [PEAK]},
        description="Trunk, then township vans; demand triples on day 2.",
    )
    compare([direct(), peak], replications=3, seed=2, out=out)
    return out
