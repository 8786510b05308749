"""Shared test helpers: small scenarios built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"


def small_scenario(**sections) -> Scenario:
    """A few townships for a few days: quick enough for property tests."""
    base = {
        "name": "small",
        "horizon": {"days": 3, "warmup_days": 1, "drain_days": 1},
        "network": {"townships": 2, "villages_per_township": [2, 3], "area_km2": 400},
        "demand": {"parcels_per_capita_day": 0.01},
        "routing": {"iterations": 50},
    }
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return Scenario.model_validate(base)


@pytest.fixture(scope="session", autouse=True)
def plan_cache_in_a_temporary_folder(tmp_path_factory):
    """Route plans cached on disk go to pytest's temporary folder, never the home folder.

    Set in the environment, so commands the tests start in subprocesses use it too.
    One folder for the session: a test that damages entries uses its own folder.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RURALSIM_CACHE_DIR", str(tmp_path_factory.mktemp("ruralsim_cache")))
        patch.delenv("RURALSIM_NO_PLAN_CACHE", raising=False)
        yield


@pytest.fixture
def small() -> Scenario:
    return small_scenario()


def cli(argv, capsys) -> tuple[int, str, str]:
    """Run the command in-process: exit status, stdout, stderr."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit_info:  # argparse usage errors
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err
