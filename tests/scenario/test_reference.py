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


def test_a_field_label_is_the_first_clause_of_its_description_with_the_unit_named():
    from sim.scenario.reference import field_label

    sorting = Scenario.model_fields["hub"].annotation.model_fields["sorting"].annotation
    described = sorting.model_fields["rate_per_h"].description
    assert described.startswith("parcels the sorting line handles per hour (")
    assert field_label("hub.sorting.rate_per_h") == "Parcels the sorting line handles per hour"
    # A fleet's field names the fleet; a unit the clause does not say comes from the name.
    speed = field_label("fleets.hub_van.speed_kmh")
    assert speed.startswith("hub_van: Average road speed") and speed.endswith("(km/h)")
    cargo = field_label("buses.lines[1].capacity_parcels")
    assert cargo == "lines[1]: Cargo space per trip (parcels)"
    # A description too long for an axis gives way to the field's name and section.
    assert (
        len(Scenario.model_fields["stations"].annotation.model_fields["crossdock_min"].description)
        > 48
    )
    assert field_label("stations.crossdock_min") == "Stations: crossdock (minutes)"
    assert field_label("demand.urban_share") == "Demand: urban share"
    assert field_label("points.pickup_delay_h.mean") == "Points: pickup delay (hours), mean"
    assert field_label("not.a.field") == "not.a.field"
    # Every field of the schema gets a label: its clause at most 48 characters.
    for _, found in rows().values():
        for row in found:
            path = row.path.replace("<name>", "hub_van").replace("[i]", "[0]")
            label = field_label(path)
            clause = label.split(": ")[-1].split(" (")[0].removesuffix(", mean")
            assert 0 < len(clause) <= 48, label
