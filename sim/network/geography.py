"""County geography: where the hub, stations and village points are.

A network is built either by a seeded synthetic generator (townships spread over a
square county around the hub, villages clustered around their township) or from a
CSV file. Road distance is the straight line times the scenario's circuity.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Network as NetworkConfig

HUB, STATION, POINT = 0, 1, 2
LEVEL_NAMES = {"hub": HUB, "station": STATION, "point": POINT}

# Mean Earth radius: the county is small enough for an equirectangular projection.
_EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Geography:
    """All places of a county. Index 0 is the hub.

    Attributes
    ----------
    ids : place names, one per index
    level : HUB, STATION or POINT per place
    parent : index of the parent place (a point's station, a station's hub), -1 for the hub
    x_km, y_km : planar position, hub near the origin
    population : residents (points only; 0 elsewhere)
    circuity : road distance over straight-line distance
    """

    ids: tuple[str, ...]
    level: np.ndarray
    parent: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    population: np.ndarray
    circuity: float

    @property
    def stations(self) -> np.ndarray:
        """Indices of the township stations."""
        return np.flatnonzero(self.level == STATION)

    @property
    def points(self) -> np.ndarray:
        """Indices of the village points."""
        return np.flatnonzero(self.level == POINT)

    def road_km(self, frm: np.ndarray, to: np.ndarray) -> np.ndarray:
        """Road distance matrix between two sets of places (indices)."""
        frm, to = np.atleast_1d(frm), np.atleast_1d(to)
        dx = self.x_km[frm][:, None] - self.x_km[to][None, :]
        dy = self.y_km[frm][:, None] - self.y_km[to][None, :]
        return np.hypot(dx, dy) * self.circuity


def build_geography(cfg: NetworkConfig, scenario_file: str | None = None) -> Geography:
    """Build the county described by a scenario's ``network`` section."""
    if cfg.source == "csv":
        return read_geography_csv(cfg.csv_path, cfg.circuity)
    return synthetic_geography(cfg)


def synthetic_geography(cfg: NetworkConfig) -> Geography:
    """Generate a county: hub in the centre, townships spread out, villages clustered.

    Townships are chosen by farthest-point sampling from random candidates, which
    spreads them evenly like real township seats rather than clumping them.
    """
    rng = np.random.default_rng(cfg.seed)
    half = math.sqrt(cfg.area_km2) / 2.0
    candidates = rng.uniform(-half, half, size=(cfg.townships * 30, 2))
    chosen = [int(np.argmin(np.hypot(*candidates.T)))]  # nearest to the hub first
    nearest = np.hypot(*(candidates - candidates[chosen[0]]).T)
    nearest = np.minimum(nearest, np.hypot(*candidates.T) + 1e-9)  # keep away from the hub
    while len(chosen) < cfg.townships:
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.hypot(*(candidates - candidates[pick]).T))
    towns = candidates[chosen]

    low, high = cfg.villages_per_township
    counts = rng.integers(low, high + 1, size=cfg.townships)
    ids, level, parent, xs, ys = ["hub"], [HUB], [-1], [0.0], [0.0]
    for t, (tx, ty) in enumerate(towns):
        ids.append(f"T{t + 1:02d}")
        level.append(STATION)
        parent.append(0)
        xs.append(float(tx))
        ys.append(float(ty))
    for t in range(cfg.townships):
        offsets = rng.normal(0.0, cfg.cluster_spread_km, size=(counts[t], 2))
        spots = np.clip(towns[t] + offsets, -half, half)
        for v, (vx, vy) in enumerate(spots):
            ids.append(f"T{t + 1:02d}V{v + 1:02d}")
            level.append(POINT)
            parent.append(1 + t)
            xs.append(float(vx))
            ys.append(float(vy))
    level_arr = np.array(level, dtype=np.int8)
    population = np.zeros(len(ids))
    n_points = int((level_arr == POINT).sum())
    sigma = math.sqrt(math.log1p(cfg.population.cv**2))
    mu = math.log(cfg.population.mean) - sigma**2 / 2
    population[level_arr == POINT] = np.round(rng.lognormal(mu, sigma, size=n_points))
    return Geography(
        ids=tuple(ids),
        level=level_arr,
        parent=np.array(parent, dtype=np.int32),
        x_km=np.array(xs),
        y_km=np.array(ys),
        population=population,
        circuity=cfg.circuity,
    )


def read_geography_csv(path: Path, circuity: float) -> Geography:
    """Read places from a CSV file.

    Columns: ``id, level, parent, population`` and either ``x_km, y_km`` or
    ``lon, lat`` (projected around the hub). ``level`` is hub, station or point;
    a point's parent is a station, a station's parent the hub (or empty).
    """
    where = str(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise ScenarioError(where, "network.csv_path", f"cannot read the file: {exc}") from None
    if not rows:
        raise ScenarioError(where, "", "the CSV file has no rows")
    columns = set(rows[0])
    planar = {"x_km", "y_km"} <= columns
    if not planar and not {"lon", "lat"} <= columns:
        raise ScenarioError(where, "", "needs columns x_km, y_km or lon, lat")
    missing = {"id", "level", "parent", "population"} - columns
    if missing:
        raise ScenarioError(where, "", f"missing columns: {', '.join(sorted(missing))}")

    def number(row: dict, key: str, line: int) -> float:
        try:
            value = float(row[key] or 0)
        except ValueError:
            raise ScenarioError(
                where, f"line {line}", f"{key} must be a number, got {row[key]!r}"
            ) from None
        if not math.isfinite(value):
            raise ScenarioError(where, f"line {line}", f"{key} must be finite, got {row[key]!r}")
        return value

    hubs = [r for r in rows if r["level"] == "hub"]
    if len(hubs) != 1:
        raise ScenarioError(where, "", f"needs exactly one row with level hub, found {len(hubs)}")
    ordered = hubs + [r for r in rows if r["level"] == "station"]
    ordered += [r for r in rows if r["level"] == "point"]
    for line, row in enumerate(rows, start=2):
        if row["level"] not in LEVEL_NAMES:
            raise ScenarioError(
                where,
                f"line {line}",
                f"level must be hub, station or point, got {row['level']!r}",
            )
    index = {}
    for i, row in enumerate(ordered):
        if row["id"] in index:
            raise ScenarioError(where, "", f"duplicate id {row['id']!r}")
        index[row["id"]] = i
    line_of = {row["id"]: line for line, row in enumerate(rows, start=2)}
    parent = np.full(len(ordered), -1, dtype=np.int32)
    for i, row in enumerate(ordered[1:], start=1):
        want = STATION if row["level"] == "point" else HUB
        parent_id = row["parent"] or (ordered[0]["id"] if want == HUB else "")
        j = index.get(parent_id, -1)
        if j < 0 or LEVEL_NAMES[ordered[j]["level"]] != want:
            kind = "a station" if want == STATION else "the hub"
            raise ScenarioError(
                where,
                f"line {line_of[row['id']]}",
                f"place {row['id']!r} needs {kind} as parent, got {row['parent']!r}",
            )
        parent[i] = j
    if planar:
        xs = np.array([number(r, "x_km", line_of[r["id"]]) for r in ordered])
        ys = np.array([number(r, "y_km", line_of[r["id"]]) for r in ordered])
    else:
        lon = np.radians([number(r, "lon", line_of[r["id"]]) for r in ordered])
        lat = np.radians([number(r, "lat", line_of[r["id"]]) for r in ordered])
        xs = (lon - lon[0]) * math.cos(lat[0]) * _EARTH_RADIUS_KM
        ys = (lat - lat[0]) * _EARTH_RADIUS_KM
    population = np.array([number(r, "population", line_of[r["id"]]) for r in ordered])
    if (population < 0).any():
        raise ScenarioError(where, "", "population must not be negative")
    level = np.array([LEVEL_NAMES[r["level"]] for r in ordered], dtype=np.int8)
    population[level != POINT] = 0.0
    return Geography(
        ids=tuple(r["id"] for r in ordered),
        level=level,
        parent=parent,
        x_km=xs - xs[0],
        y_km=ys - ys[0],
        population=population,
        circuity=circuity,
    )
