"""Sweep designs: --vary parsing, YAML round trips, factorial expansion, sweep files."""

from __future__ import annotations

import pytest

from sim import ScenarioError, load_scenario
from sim.experiments import ExperimentError, load_design, parse_vary
from sim.experiments.design import expand_points, override_strings, scenario_with, yaml_text
from sim.scenario.loader import apply_overrides
from tests.conftest import SCENARIOS


@pytest.mark.parametrize(
    ("argument", "path", "values"),
    [
        ("hub.sorting.rate_per_h=4000,8000", "hub.sorting.rate_per_h", [4000, 8000]),
        ("delivery.model=direct, via_township", "delivery.model", ["direct", "via_township"]),
        ("a.b=0.5,1e-3", "a.b", [0.5, "1e-3"]),  # YAML 1.1, exactly like --set
        (
            "fleets.hub_van.departures=[08:00],[08:00, 14:00]",
            "fleets.hub_van.departures",
            [["08:00"], ["08:00", "14:00"]],
        ),
        ('name="a,b",c', "name", ["a,b", "c"]),
        ("x=true,null", "x", [True, None]),
    ],
)
def test_parse_vary_reads_values_as_yaml(argument, path, values):
    assert parse_vary(argument) == (path, values)


@pytest.mark.parametrize(
    ("argument", "phrase"),
    [
        ("hub.sorting.rate_per_h", "PATH=V1,V2"),
        ("=1,2", "PATH=V1,V2"),
        ("a..b=1", "PATH=V1,V2"),
        ("a.b=", "no values"),
        ("a.b=1,,2", "cannot read"),
    ],
)
def test_parse_vary_rejects_malformed_arguments(argument, phrase):
    with pytest.raises(ExperimentError, match=phrase):
        parse_vary(argument)


@pytest.mark.parametrize(
    "value",
    [
        4000,
        1.5,
        1e-7,
        -3,
        "08:30",
        "direct",
        "yes",
        "1e3",
        "",
        "a: b",
        "#x",
        True,
        None,
        [1, 2],
        ["08:00", "14:00"],
        {"a": 1, "b": [2.5, "c"]},
        "耒阳",
    ],
)
def test_values_survive_the_trip_through_set(value):
    text = yaml_text(value)
    assert apply_overrides({}, [f"v={text}"])["v"] == value
    assert override_strings({"p.q": value}) == [f"p.q={text}"]


def test_expand_points_full_factorial_then_explicit_points():
    paths, points = expand_points({"a": [1, 2], "b": ["x", "y", "z"]}, [{"b": "w", "a": 9}])
    assert paths == ["a", "b"]
    assert [(p["a"], p["b"]) for p in points] == [
        (1, "x"),
        (1, "y"),
        (1, "z"),
        (2, "x"),
        (2, "y"),
        (2, "z"),
        (9, "w"),
    ]
    only_points = expand_points({}, [{"a": 1}, {"a": 2}])
    assert only_points == (["a"], [{"a": 1}, {"a": 2}])


def test_expand_points_rejects_inconsistent_or_repeated_points():
    with pytest.raises(ExperimentError, match="point 1 sets a, c"):
        expand_points({"a": [1], "b": [2]}, [{"a": 1, "c": 3}])
    with pytest.raises(ExperimentError, match="repeats point 1"):
        expand_points({"a": [1, 2, 1]})
    with pytest.raises(ExperimentError, match="repeats point 2"):
        expand_points({"a": [1, 2]}, [{"a": 2}])
    with pytest.raises(ExperimentError, match="at least one varied path"):
        expand_points({})


def test_load_design_resolves_the_scenario_next_to_the_file(tmp_path):
    folder = tmp_path / "designs"
    folder.mkdir()
    design_file = folder / "sweep.yaml"
    design_file.write_text(
        f"scenario: {SCENARIOS / 'leiyang_direct.yaml'}\n"
        "set: {horizon.days: 3}\n"
        "factors:\n  hub.sorting.rate_per_h: [4000, 8000]\n"
        "points:\n  - {hub.sorting.rate_per_h: 2000}\n"
    )
    design = load_design(design_file)
    assert design.scenario == str(SCENARIOS / "leiyang_direct.yaml")
    assert design.overrides == {"horizon.days": 3}
    relative = folder / "relative.yaml"
    relative.write_text("scenario: base.yaml\npoints: [{seed: 1}]\n")
    assert load_design(relative).scenario == str(folder / "base.yaml")


@pytest.mark.parametrize(
    ("text", "path", "phrase"),
    [
        ("scenario: a.yaml\nfactors: {x: [1]}\nfactor: {}\n", "factor", "allowed: scenario"),
        ("scenario: a.yaml\n", "", "factors, points or both"),
        ("scenario: a.yaml\nfactors: {x: []}\n", "", "factor x has no values"),
        ("factors: {x: [1]}\n", "scenario", "missing required key"),
        ("scenario: a.yaml\nfactors: {x: 3}\n", "factors.x", "valid list"),
    ],
)
def test_bad_design_files_are_clear_errors(tmp_path, text, path, phrase):
    design_file = tmp_path / "sweep.yaml"
    design_file.write_text(text)
    with pytest.raises(ScenarioError) as error:
        load_design(design_file)
    message = str(error.value)
    assert str(design_file) in message and path in message and phrase in message


def test_scenario_with_gives_the_same_scenario_from_a_file_or_an_object():
    file = SCENARIOS / "leiyang_direct.yaml"
    overrides = ["horizon.days=4"]
    values = {"hub.sorting.rate_per_h": 5000, "fleets.hub_van.departures": ["07:00", "13:30"]}
    from_file = scenario_with(file, overrides, values)
    from_object = scenario_with(load_scenario(file), overrides, values)
    assert from_file == from_object
    assert from_file.hub.sorting.rate_per_h == 5000 and from_file.horizon.days == 4
    with pytest.raises(ScenarioError, match="hub.sorting.rate_per_h"):
        scenario_with(file, [], {"hub.sorting.rate_per_h": 0})
