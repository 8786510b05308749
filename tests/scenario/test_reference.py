"""The scenario reference in docs/ is generated from the schema and must not go stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario.reference import markdown, rows, unit_of
from sim.scenario.schema import Scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-reference.md"


def test_the_reference_in_docs_is_what_the_schema_gives():
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/scenario-reference.md is stale: run "
        "python -m sim.scenario.reference --write docs/scenario-reference.md"
    )


def _leaf_paths(data, prefix=""):
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and key != "fleets":
            yield from _leaf_paths(value, f"{path}.")
        else:
            yield path


def test_every_field_of_a_resolved_scenario_is_documented():
    documented = {row.path for _, found in rows().values() for row in found}
    resolved = Scenario().model_dump(mode="json")
    missing = [path for path in _leaf_paths(resolved) if path not in documented]
    assert missing == []
    fleet = next(iter(resolved["fleets"].values()))
    assert {f"fleets.<name>.{key}" for key in fleet} <= documented


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("speed_kmh", "km/h"),
        ("stop_min", "minutes"),
        ("handling_min_per_parcel", "minutes per parcel"),
        ("cost_per_vehicle_day_cny", "CNY per vehicle-day"),
        ("area_km2", "km²"),
        ("cluster_spread_km", "km"),
        ("rate_per_h", "per hour"),
        ("seed", ""),
    ],
)
def test_units_come_from_the_field_names(name, unit):
    assert unit_of(name) == unit


def test_ranges_and_defaults_are_the_schemas():
    found = {row.path: row for _, rows_ in rows().values() for row in rows_}
    assert found["hub.sorting.rate_per_h"].default == "`8000.0`"
    assert found["hub.sorting.rate_per_h"].allowed == "0 < x ≤ 10,000,000"
    assert found["demand.waves[i].time"].kind == 'clock time "HH:MM"'
    assert found["demand.waves[i].time"].default == "required"
    assert found["network.source"].kind == "one of `synthetic`, `csv`"
