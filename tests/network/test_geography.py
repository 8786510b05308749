"""County geography: the synthetic generator and the CSV reader."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.network.geography import (
    HUB,
    POINT,
    STATION,
    farthest_points,
    read_geography_csv,
    synthetic_geography,
    township_margin_km,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Network


def test_synthetic_county_is_seeded_and_well_formed():
    cfg = Network(townships=10, villages_per_township=(3, 7), area_km2=900, seed=5)
    a, b = synthetic_geography(cfg), synthetic_geography(cfg)
    np.testing.assert_array_equal(a.x_km, b.x_km)
    assert a.ids == b.ids
    other = synthetic_geography(cfg.model_copy(update={"seed": 6}))
    assert not np.array_equal(a.x_km, other.x_km)
    assert a.level[0] == HUB and (a.level == STATION).sum() == 10
    per_town = np.bincount(a.parent[a.level == POINT], minlength=11)[1:]
    assert per_town.min() >= 3 and per_town.max() <= 7
    # Every village's parent is a station; everything lies inside the 30 km square.
    assert (a.level[a.parent[a.level == POINT]] == STATION).all()
    assert np.abs(a.x_km).max() <= 15 and np.abs(a.y_km).max() <= 15
    assert (a.population[a.level == POINT] > 0).all()


def _border_distance_km(geo, half: float) -> np.ndarray:
    """Each village's distance to the nearest side of the square county."""
    points = geo.points
    return half - np.maximum(np.abs(geo.x_km[points]), np.abs(geo.y_km[points]))


@pytest.mark.parametrize("seed", [2023, 7, 11])
def test_villages_are_not_piled_on_the_county_border(seed):
    # Clipping to the square put dozens of villages exactly on the border. Were the n
    # villages uniform over the square of side L, each would lie within d of the
    # border with probability f = 1 - ((L - 2d) / L)^2: expected n f of them. Clusters
    # around inland township seats must not put more there than that.
    cfg = Network(seed=seed)  # the bundled county's size: 2,650 km2, 24 townships
    geo = synthetic_geography(cfg)
    side = math.sqrt(cfg.area_km2)
    near = 1.0
    expected_uniform = geo.points.size * (1.0 - ((side - 2 * near) / side) ** 2)
    assert expected_uniform > 25  # ~28 for ~370 villages: a meaningful bound
    distance = _border_distance_km(geo, side / 2)
    assert (distance >= 0).all()  # every village inside the county
    assert np.count_nonzero(distance < near) <= expected_uniform
    assert np.count_nonzero(distance == 0) == 0  # nothing clipped onto the border


def test_villages_stay_inside_a_county_smaller_than_their_spread():
    # A spread wider than the county: most draws fall outside and are drawn again.
    cfg = Network(area_km2=100, townships=2, cluster_spread_km=30, seed=3)
    geo = synthetic_geography(cfg)
    assert (_border_distance_km(geo, 5.0) >= 0).all()
    assert geo.points.size >= 2 * 12
    np.testing.assert_array_equal(geo.y_km, synthetic_geography(cfg).y_km)


def test_road_distance_is_straight_line_times_circuity():
    geo = synthetic_geography(Network(townships=3, circuity=1.4))
    i, j = 1, 5
    straight = math.hypot(geo.x_km[i] - geo.x_km[j], geo.y_km[i] - geo.y_km[j])
    assert geo.road_km(i, j)[0, 0] == pytest.approx(1.4 * straight)


def test_csv_with_lon_lat_is_projected_around_the_hub(tmp_path):
    path = tmp_path / "county.csv"
    path.write_text(
        "id,level,parent,lon,lat,population\n"
        "V,point,S,112.86,26.42,800\n"  # rows in any order
        "H,hub,,112.85,26.41,0\n"
        "S,station,H,112.85,26.42,0\n"
    )
    geo = read_geography_csv(path, 1.0)
    assert geo.ids == ("H", "S", "V")
    # 0.01 degree of latitude is ~1.112 km; of longitude, that times cos(26.41 deg).
    assert geo.y_km[1] == pytest.approx(1.112, abs=0.002)
    assert geo.x_km[2] == pytest.approx(1.112 * math.cos(math.radians(26.41)), abs=0.002)
    assert list(geo.parent) == [-1, 0, 1]


@pytest.mark.parametrize(
    ("rows", "phrase"),
    [
        ("H,hub,,0,0,0\nV,point,H,1,1,100\n", "'V' needs a station as parent"),
        ("H,hub,,0,0,0\nS,station,H,1,1,0\nV,point,X,1,1,100\n", "line 4"),
        ("H,hub,,0,0,0\nS,town,H,1,1,0\n", "column level: must be hub, station or point"),
        ("S,station,,1,1,0\n", "exactly one row with level hub"),
        ("H,hub,,0,0,0\nS,station,H,east,1,0\n", "column x_km: must be a number"),
        ("H,hub,,0,0,0\nH,station,H,1,1,0\n", "duplicate id"),
    ],
)
def test_csv_errors_name_the_problem(tmp_path, rows, phrase):
    path = tmp_path / "bad.csv"
    path.write_text("id,level,parent,x_km,y_km,population\n" + rows)
    with pytest.raises(ScenarioError) as error:
        read_geography_csv(path, 1.3)
    assert phrase in str(error.value) and str(path) in str(error.value)


def _farthest_points_everywhere(candidates: np.ndarray, count: int) -> list[int]:
    """The plain farthest-point sampling, every candidate's distance updated per pick."""
    chosen = [int(np.argmin(np.hypot(*candidates.T)))]
    nearest = np.hypot(*(candidates - candidates[chosen[0]]).T)
    nearest = np.minimum(nearest, np.hypot(*candidates.T) + 1e-9)
    while len(chosen) < count:
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.hypot(*(candidates - candidates[pick]).T))
    return chosen


@pytest.mark.parametrize("seed", range(6))
def test_slab_farthest_points_pick_what_updating_every_candidate_picks(seed):
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 120))
    candidates = rng.uniform(-40.0, 40.0, size=(count * 30, 2))
    assert farthest_points(candidates, count) == _farthest_points_everywhere(candidates, count)


def test_farthest_points_on_a_grid_break_ties_as_before():
    # Many equal distances: the lowest index wins in both.
    grid = np.array([(i, j) for i in range(-8, 9) for j in range(-8, 9)], dtype=float)
    assert farthest_points(grid, 40) == _farthest_points_everywhere(grid, 40)


def test_bundled_county_townships_unchanged_by_the_slab_update():
    cfg = Network(townships=24, area_km2=2650.0, seed=2023)
    rng = np.random.default_rng(cfg.seed)
    half = math.sqrt(cfg.area_km2) / 2.0
    inner = half - township_margin_km(cfg)
    candidates = rng.uniform(-inner, inner, size=(cfg.townships * 30, 2))
    towns = candidates[_farthest_points_everywhere(candidates, cfg.townships)]
    geo = synthetic_geography(cfg)
    stations = geo.level == STATION
    np.testing.assert_array_equal(geo.x_km[stations], towns[:, 0])
    np.testing.assert_array_equal(geo.y_km[stations], towns[:, 1])
