"""Inputs that must end in exit 2 with one clear message: never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario
from tests.conftest import SCENARIOS, cli

BASE = SCENARIOS / "leiyang_base.yaml"


def assert_refused(code: int, err: str, *phrases: str) -> None:
    """Exit 2, every phrase in the message, and no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    for phrase in phrases:
        assert phrase in err, (phrase, err)


@pytest.mark.parametrize("name", ["/home/me/thesis", "../../x", "..", ".hidden", "a b", "-x"])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_name_that_is_not_a_plain_folder_name_is_refused(
    tmp_path, monkeypatch, capsys, command, name
):
    monkeypatch.chdir(tmp_path)  # where `run` without --out would write
    keep = tmp_path / "keep.txt"
    keep.write_text("thesis")
    code, _, err = cli([command, BASE, "--set", f"name={name}"], capsys)
    assert_refused(code, err, "name:", repr(name), "letters, digits")
    assert keep.read_text() == "thesis"
    assert list(tmp_path.iterdir()) == [keep]


def test_letters_of_any_script_make_a_name(capsys):
    code, _, err = cli(["validate", BASE, "--set", "name=耒阳_base-2.v1"], capsys)
    assert code == 0, err


def test_a_title_is_one_line_of_free_text(tmp_path, capsys):
    titled = tmp_path / "titled.yaml"
    titled.write_text(f'extends: {BASE}\ntitle: "Via 乡镇 (hub → station) $5"\n', "utf-8")
    assert load_scenario(titled).title == "Via 乡镇 (hub → station) $5"
    titled.write_text(f'extends: {BASE}\ntitle: "two\\nlines"\n', "utf-8")
    code, _, err = cli(["validate", titled], capsys)
    assert_refused(code, err, "title:", "one line of text", "'two\\nlines'")
    code, _, err = cli(["validate", BASE, "--set", f"title={'x' * 121}"], capsys)
    assert_refused(code, err, "title:", "at most 120 characters")


# --------------------------------------------------------------------------- schema bounds


@pytest.mark.parametrize(
    ("override", "phrases"),
    [
        ("fleets.hub_van.co2_per_km_kg=1e308", ["fleets.hub_van.co2_per_km_kg", "100", "1e308"]),
        ("fleets.trunk.speed_kmh=1e9", ["fleets.trunk.speed_kmh", "200"]),
        ("fleets.trunk.cost_per_km_cny=-1", ["fleets.trunk.cost_per_km_cny", "0"]),
        ("hub.sorting.rate_per_h=1e300", ["hub.sorting.rate_per_h", "10000000"]),
        ("buses.corridors.co2_per_km_kg=1e308", ["buses.corridors.co2_per_km_kg", "100"]),
        ("routing.seed=4294967296", ["routing.seed", "4294967295", "4294967296"]),
        ("routing.seed=-1", ["routing.seed", "greater than or equal to 0"]),
        ("network.townships=3001", ["network.townships", "3000", "3001"]),
        ("routing.max_clients_per_problem=1", ["routing.max_clients_per_problem", "2"]),
        ("routing.no_improvement_iterations=0", ["routing.no_improvement_iterations", "1"]),
        ("demand.parcels_per_capita_day=1e9", ["demand.parcels_per_capita_day", "10", "1e9"]),
        (
            "demand.peaks=[{start_day: 0, days: 3, factor: 1e6}]",
            ["demand.peaks.0.factor", "100", "1e6"],
        ),
        (
            "demand.weekday_factors=[0, 0, 0, 0, 0, 0, 0]",
            ["demand.weekday_factors", "all 7 factors are 0", "[0, 0, 0, 0, 0, 0, 0]"],
        ),
        ("demand.weekday_factors=[1, 1]", ["demand.weekday_factors", "needs 7 values"]),
        ("delivery.model=custom", ["delivery", "model 'custom' needs legs"]),
        ("delivery.legs=[{to: point, by: [hub_van]}]", ["delivery", "only read with model"]),
        (
            "buses.corridors={capacity_parcels: 10, peak_trips: "
            "[{departure: '07:00', capacity_parcels: 20}]}",
            ["buses.corridors", "peak_trips.0.capacity_parcels (20)", "capacity_parcels (10)"],
        ),
    ],
)
def test_numbers_outside_their_meaningful_range_are_refused(capsys, override, phrases):
    code, _, err = cli(["validate", BASE, "--set", override], capsys)
    assert_refused(code, err, *phrases)
    assert "Value error" not in err


def test_custom_model_with_no_legs_is_refused(capsys):
    args = ["--set", "delivery.model=custom", "--set", "delivery.legs=[]"]
    code, _, err = cli(["validate", BASE, *args], capsys)
    assert_refused(code, err, "delivery.legs", "at least 1 item", "[]")


def test_a_peak_trip_may_carry_as_many_parcels_as_a_normal_one():
    from sim.scenario.schema import Corridors

    trip = {"departure": "07:00", "capacity_parcels": 40}
    assert Corridors(capacity_parcels=40, peak_trips=[trip]).peak_trips[0].capacity_parcels == 40


def test_bounds_are_readable_from_the_json_schema():
    # Property tests draw values inside these bounds; they must be pydantic metadata.
    schema = Scenario.model_json_schema()
    fleet = schema["$defs"]["Fleet"]["properties"]
    assert fleet["co2_per_km_kg"]["maximum"] == 100
    assert fleet["speed_kmh"]["exclusiveMinimum"] == 0
    assert schema["$defs"]["Routing"]["properties"]["seed"]["maximum"] == 2**32 - 1
    assert schema["properties"]["name"]["pattern"] == "^[\\w][\\w.\\-]*$"
    clock = schema["$defs"]["Wave"]["properties"]["time"]
    assert clock["type"] == "string"
    assert re.search(clock["pattern"], "07:30") and re.search(clock["pattern"], "24:00")
    assert not re.search(clock["pattern"], "24:01")


# --------------------------------------------------------------------------- demand size


def test_demand_too_large_for_memory_is_refused_before_any_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["run", BASE, "--set", "demand.parcels_per_capita_day=10"], capsys)
    assert_refused(code, err, str(BASE), "demand:", "parcels over 30 days", "GiB", "limit")
    assert list(tmp_path.iterdir()) == []


def test_demand_estimate_uses_each_days_weekday_and_peak_factor():
    # Two villages of 1,000 at 1 parcel a head for 7 days: day 0 has factor 2 times
    # a peak of 3, day 1 factor 1, the rest 0, so 2,000 x (6 + 1) = 14,000 parcels.
    from sim.network.geography import POINT, Geography
    from sim.runner import _ledger_row_bytes, check_demand_fits

    geo = Geography(
        ids=("H", "S", "A", "B"),
        level=np.array([0, 1, POINT, POINT], dtype=np.int8),
        parent=np.array([-1, 0, 1, 1], dtype=np.int32),
        x_km=np.zeros(4),
        y_km=np.zeros(4),
        population=np.array([0, 0, 1000, 1000.0]),
        circuity=1.0,
    )
    scenario = Scenario.model_validate(
        {
            "horizon": {"days": 7, "warmup_days": 1},
            "demand": {
                "parcels_per_capita_day": 1,
                "weekday_factors": [2, 1, 0, 0, 0, 0, 0],
                "peaks": [{"start_day": 0, "days": 1, "factor": 3}],
            },
        }
    )
    check_demand_fits(scenario, geo)  # 14,000 parcels: fine
    tiny_limit = 13_999 * _ledger_row_bytes(scenario)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sim.runner._memory_limit", lambda: tiny_limit)
        with pytest.raises(ScenarioError, match="about 14,000 parcels over 7 days"):
            check_demand_fits(scenario, geo)


# --------------------------------------------------------------------------- places CSV

HEADER = "id,level,parent,x_km,y_km,population\n"
GOOD = HEADER + "H,hub,,0,0,\nS,station,H,0,10,\nA,point,S,3,10,1000\n"


def csv_scenario(tmp_path, content: bytes | str, name: str = "places.csv"):
    """A scenario reading its places from *content* (or from the path *name*)."""
    places = tmp_path / name
    if content is not None:
        places.write_bytes(content.encode() if isinstance(content, str) else content)
    yaml_file = tmp_path / "county.yaml"
    yaml_file.write_text(f"network:\n  source: csv\n  csv_path: {places}\n")
    return yaml_file, places


@pytest.mark.parametrize(
    ("content", "phrases"),
    [
        (HEADER + "H,hub,,0,0,\n", ["no row with level station"]),
        (
            HEADER + "H,hub,,0,0,\nS,station,H,0,10,\nG,hub,,1,1,\nA,point,S,3,10,1\n",
            ["exactly one row with level hub", "found 2, on lines 2, 4"],
        ),
        (HEADER + "H,hub,,0,0,\nS,station,H,0,10,\n", ["no row with level point"]),
        (
            (HEADER + "H,hub,,0,0,\nS,station,H,0,10,\n村,point,S,1,1,100\n").encode("gbk"),
            ["line 4", "not UTF-8", "0xb4", "looks like GBK", "CSV UTF-8"],
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["binary"]),
        (
            HEADER + "H,hub,,0,0,\nS,station,H,0,10,\nA,point,S,3,10,\n",
            ["line 4, column population", "empty"],
        ),
        (
            HEADER + "H,hub,,0,0,\nS,station,H,,10,\nA,point,S,3,10,1\n",
            ["line 3, column x_km", "empty"],
        ),
        (
            HEADER + "H,hub,,0,0,\n,station,H,0,10,\nA,point,S,3,10,1\n",
            ["line 3, column id", "empty"],
        ),
        (
            HEADER + "H,hub,,0,0,\nS,station,H,0,10,\nS,point,S,3,10,1\n",
            ["line 4, column id", "duplicate id 'S'", "line 3"],
        ),
        (
            HEADER + "H,hub,,0,0,\nS,station,H,0,10,\nA,point,S,3,10,1e12\n",
            ["line 4, column population", "0 to 10,000,000", "'1e12'"],
        ),
        (
            HEADER + "H,hub,,0,0,\nS,station,H,0,10,\nA,point,S,3,10,nan\n",
            ["line 4, column population", "'nan'"],
        ),
        (
            "id,level,parent,lon,lat,population\n"
            "H,hub,,112.8,26.4,\nS,station,H,200,26.4,\nA,point,S,112.9,26.4,10\n",
            ["line 3, column lon", "-180 to 180", "'200'"],
        ),
        (
            "id,level,parent,lon,lat,population\n"
            "H,hub,,112.8,26.4,\nS,station,H,112.8,95,\nA,point,S,112.9,26.4,10\n",
            ["line 3, column lat", "-90 to 90", "'95'"],
        ),
        (HEADER + "H,hub,,0,0,\nS,station,H,0,10\n", ["line 3", "5 cells", "6 columns"]),
        ("id,level,id,x_km,y_km,population\n", ["line 1", "'id' appears twice"]),
        (HEADER + 'H,hub,,0,0,"' + "x" * 200_000 + '"\n', ["line 2", "field larger than"]),
    ],
)
def test_a_bad_places_csv_is_refused_naming_file_line_and_column(
    tmp_path, capsys, content, phrases
):
    scenario, places = csv_scenario(tmp_path, content)
    before = places.read_bytes()
    code, _, err = cli(["validate", scenario], capsys)
    assert_refused(code, err, str(places), *phrases)
    assert places.read_bytes() == before


def test_a_places_csv_larger_than_the_limit_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sim.network.geography.MAX_CSV_BYTES", len(GOOD) - 1)
    scenario, places = csv_scenario(tmp_path, GOOD)
    code, _, err = cli(["validate", scenario], capsys)
    assert_refused(code, err, str(places), "file too large", f"{len(GOOD) - 1:,} bytes")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_as_places_csv_is_refused_without_reading_it_all(tmp_path, capsys):
    scenario, _ = csv_scenario(tmp_path, None, name="/dev/zero")
    code, _, err = cli(["validate", scenario], capsys)
    assert_refused(code, err, "/dev/zero", "too large")


def test_a_missing_places_csv_is_refused(tmp_path, capsys):
    scenario, places = csv_scenario(tmp_path, None)
    code, _, err = cli(["validate", scenario], capsys)
    assert_refused(code, err, str(places), "network.csv_path", "cannot read")


def test_a_utf8_bom_and_blank_trailing_lines_are_accepted(tmp_path):
    from sim.network.geography import read_geography_csv

    places = tmp_path / "places.csv"
    places.write_bytes(b"\xef\xbb\xbf" + (GOOD.replace("A,", "雷,") + "\n,,,,,\n").encode())
    geo = read_geography_csv(places, 1.0)
    assert geo.ids == ("H", "S", "雷")
    assert list(geo.population) == [0, 0, 1000]


def test_a_scenario_built_in_code_is_checked_before_it_runs():
    from sim.runner import simulate
    from tests.conftest import small_scenario

    huge = small_scenario(
        horizon={"days": 3660, "warmup_days": 1},
        demand={
            "parcels_per_capita_day": 10,
            "peaks": [{"start_day": 0, "days": 3660, "factor": 100}],
        },
    )
    with pytest.raises(ScenarioError, match="parcels over 3660 days"):
        simulate(huge)


def test_a_huge_cell_is_quoted_shortly(tmp_path, capsys):
    scenario, _ = csv_scenario(tmp_path, GOOD.replace("1000", "9" * 5000))
    code, _, err = cli(["validate", scenario], capsys)
    assert_refused(code, err, "line 4, column population", "...")
    assert len(err) < 500
