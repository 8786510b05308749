"""Return paths: each village's inbound path run backwards, as data."""

from __future__ import annotations

import pytest
import yaml

from sim.engine.model import plan_for
from sim.network.geography import HUB, STATION
from sim.network.returns import return_paths
from sim.scenario.errors import ScenarioError
from tests.conftest import cli, small_scenario

OUTBOUND = {
    "parcels_per_capita_day": 0.01,
    "products": [{"name": "taro", "share": 1.0}],
    "linehaul_departures": ["18:00"],
}


def test_via_township_goes_back_by_the_township_van_then_the_trunk():
    plan = plan_for(small_scenario(delivery={"model": "via_township"}, outbound=OUTBOUND))
    paths, geo = return_paths(plan), plan.geography
    for p in geo.points:
        van = plan.services[paths.service[p, 0]]
        trunk = plan.services[paths.service[p, 1]]
        assert (van.fleet, trunk.fleet) == ("township_van", "trunk")
        assert van.stops[paths.board[p, 0]] == p
        # The van's route ends at the village's station, where the trunk boards it.
        station = van.stops[paths.alight[p, 0]]
        assert geo.level[station] == STATION and station == geo.parent[p]
        assert paths.alight[p, 0] == len(van.stops) - 1
        assert trunk.stops[paths.board[p, 1]] == station
        assert trunk.stops[paths.alight[p, 1]] == HUB
        assert paths.board[p, 1] < paths.alight[p, 1]


def test_a_bus_village_goes_back_by_the_lines_other_direction():
    corridors = {"townships": "all", "departures_out": ["09:00"], "departures_back": ["07:00"]}
    scenario = small_scenario(
        delivery={"model": "bus"},
        buses={"policy": "bus_first", "corridors": corridors},
        outbound=OUTBOUND,
    )
    plan = plan_for(scenario)
    paths = return_paths(plan)
    for p in plan.geography.points:
        inbound = plan.services[plan.leg_service[p, 0]]
        back = plan.services[paths.service[p, 0]]
        assert inbound.name.endswith(":out") and back.name == inbound.line + ":back"
        assert back.stops[paths.board[p, 0]] == p and back.stops[paths.alight[p, 0]] == HUB


def test_a_bus_line_that_never_goes_back_is_an_error_naming_outbound():
    corridors = {"townships": "all", "departures_out": ["09:00"], "departures_back": []}
    scenario = small_scenario(
        delivery={"model": "custom", "legs": [{"to": "point", "by": ["bus"]}]},
        buses={"policy": "bus_first", "corridors": corridors},
        outbound=OUTBOUND,
    )
    with pytest.raises(ScenarioError, match="outbound") as error:
        return_paths(plan_for(scenario))
    assert "departures_back" in str(error.value)


def test_validate_refuses_produce_with_no_way_back(tmp_path, capsys):
    corridors = {"townships": "all", "departures_out": ["09:00"], "departures_back": []}
    scenario = small_scenario(
        delivery={"model": "custom", "legs": [{"to": "point", "by": ["bus"]}]},
        buses={"policy": "bus_first", "corridors": corridors},
        outbound=OUTBOUND,
    )
    path = tmp_path / "no_way_back.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json")))
    code, _, err = cli(["validate", path], capsys)
    assert code == 2 and "outbound" in err and "Traceback" not in err, err
