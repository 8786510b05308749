"""County geography: where the hub, stations and village points are.

A network is built either by a seeded synthetic generator (townships spread over a
square county around the hub, villages clustered around their township, every place
inside the county) or from a CSV file. Road distance is the straight line times the
scenario's circuity.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.scenario.errors import ScenarioError, short_repr
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
    lon, lat : degrees as a places CSV gave them (None for a county given in km);
        kept for maps, the model uses x_km, y_km only
    """

    ids: tuple[str, ...]
    level: np.ndarray
    parent: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    population: np.ndarray
    circuity: float
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None

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


def build_geography(cfg: NetworkConfig) -> Geography:
    """Build the county described by a scenario's ``network`` section."""
    if cfg.source == "csv":
        return read_geography_csv(cfg.csv_path, cfg.circuity)
    return synthetic_geography(cfg)


def synthetic_geography(cfg: NetworkConfig) -> Geography:
    """Generate a county: hub in the centre, townships spread out, villages clustered.

    Townships are chosen by farthest-point sampling from random candidates, which
    spreads them evenly like real township seats rather than clumping them. The
    candidates keep :func:`township_margin_km` from the county border, as township
    seats sit in the settled valleys rather than on the border ridges. Each township's
    villages scatter around it (normal, ``cluster_spread_km`` per axis); a village that
    falls outside the county is drawn again, so the cluster is a normal truncated to
    the county and no village is piled up on the border (as clipping would do).
    """
    rng = np.random.default_rng(cfg.seed)
    half = math.sqrt(cfg.area_km2) / 2.0
    inner = half - township_margin_km(cfg)
    candidates = rng.uniform(-inner, inner, size=(cfg.townships * 30, 2))
    towns = candidates[farthest_points(candidates, cfg.townships)]

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
        spots = _villages_around(towns[t], int(counts[t]), cfg.cluster_spread_km, half, rng)
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


def farthest_points(candidates: np.ndarray, count: int) -> list[int]:
    """Farthest-point sampling: *count* of the *candidates* (rows of x, y), spread out.

    The first is the candidate nearest the hub (the origin); each next one is the
    candidate farthest from the hub and from all chosen so far. Ties go to the lowest
    index.

    Only candidates within the picked one's own distance *d* of it can come nearer to
    a chosen point (every candidate is within *d* of one already), so each pick
    updates the slab ``|x - x_pick| <= d`` of candidates sorted by x, not all of them:
    the same distances, hence the same picks, as updating all (O(n·count)), but a
    province's 2,400 townships take a tenth of the time.
    """
    x, y = candidates[:, 0], candidates[:, 1]
    chosen = [int(np.argmin(np.hypot(x, y)))]  # nearest to the hub first
    nearest = np.hypot(x - x[chosen[0]], y - y[chosen[0]])
    nearest = np.minimum(nearest, np.hypot(x, y) + 1e-9)  # keep away from the hub
    by_x = np.argsort(x, kind="stable")
    sorted_x = x[by_x]
    while len(chosen) < count:
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        # Outside the slab the distance is at least |dx| > reach >= nearest: no change.
        # (Widened a little so float rounding of the bounds never leaves one out.)
        reach = nearest[pick] * (1.0 + 1e-9) + 1e-9
        low = np.searchsorted(sorted_x, x[pick] - reach, side="left")
        high = np.searchsorted(sorted_x, x[pick] + reach, side="right")
        near = by_x[low:high]
        nearest[near] = np.minimum(nearest[near], np.hypot(x[near] - x[pick], y[near] - y[pick]))
    return chosen


def township_margin_km(cfg: NetworkConfig) -> float:
    """How far township seats keep from the county border in the synthetic county.

    Two cluster spreads (so that few of a township's villages would fall outside
    the county), but at most half of the way from the centre to the border.
    """
    return min(2.0 * cfg.cluster_spread_km, math.sqrt(cfg.area_km2) / 4.0)


def _villages_around(
    town: np.ndarray, count: int, spread_km: float, half: float, rng: np.random.Generator
) -> np.ndarray:
    """*count* positions around *town*, normal per axis, redrawn until inside the county.

    The township lies inside the square, so each draw lands inside with probability
    at least 1/4 (a township in a corner) and the loop ends after a few rounds.
    """
    spots = town + rng.normal(0.0, spread_km, size=(count, 2))
    outside = np.flatnonzero((np.abs(spots) > half).any(axis=1))
    while outside.size:
        spots[outside] = town + rng.normal(0.0, spread_km, size=(outside.size, 2))
        outside = outside[(np.abs(spots[outside]) > half).any(axis=1)]
    return spots


MAX_CSV_BYTES = 16 * 1024 * 1024
"""Largest places CSV accepted (16 MiB); a county of a thousand villages takes ~50 kB."""
MAX_POPULATION = 10_000_000
"""Most residents one place may have: more than any Chinese county."""
MAX_PLANAR_KM = 5_000.0
"""Largest absolute ``x_km`` / ``y_km``: a county is at most a few hundred km across."""
# The values each coordinate column accepts.
_COORDINATE_RANGES = {
    "lon": (-180.0, 180.0),
    "lat": (-90.0, 90.0),
    "x_km": (-MAX_PLANAR_KM, MAX_PLANAR_KM),
    "y_km": (-MAX_PLANAR_KM, MAX_PLANAR_KM),
}


def _plain(value: float) -> str:
    # 10,000,000 rather than 1e+07 in messages.
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _read_csv_text(path: Path) -> str:
    """The file's text, read with a size bound; a UTF-8 byte-order mark is dropped."""
    where = str(path)
    try:
        with open(path, "rb") as stream:
            # Read one byte past the limit rather than trusting stat: /dev/zero,
            # pipes and growing files report sizes that are not what they hold.
            raw = stream.read(MAX_CSV_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(
            where, "network.csv_path", f"cannot read the places CSV: {exc.strerror or exc}"
        ) from None
    if len(raw) > MAX_CSV_BYTES:
        raise ScenarioError(
            where, "", f"file too large: over {MAX_CSV_BYTES:,} bytes (the limit for a places CSV)"
        )
    if b"\0" in raw:
        raise ScenarioError(where, "", "a binary file, not a CSV text file (it holds NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        try:
            raw.decode("gb18030")
            guess = "it looks like GBK/GB18030, as Excel saves CSV on Chinese Windows; "
        except UnicodeDecodeError:
            guess = ""
        raise ScenarioError(
            where,
            f"line {line}",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); the places "
            f"CSV must be UTF-8, with or without BOM: {guess}save it again as 'CSV UTF-8'",
        ) from None


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """``(line number, row)`` pairs, every row complete and every cell stripped."""
    where = str(path)
    reader = csv.reader(io.StringIO(_read_csv_text(path), newline=""))
    try:
        header = [name.strip() for name in next(reader, [])]
        duplicated = sorted({name for name in header if header.count(name) > 1})
        if duplicated:
            raise ScenarioError(
                where, "line 1", f"column {duplicated[0]!r} appears twice in the header"
            )
        rows = []
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, as spreadsheets leave them at the end
            if len(cells) != len(header):
                raise ScenarioError(
                    where,
                    f"line {line}",
                    f"{len(cells)} cells where the header has {len(header)} columns",
                )
            rows.append((line, {k: v.strip() for k, v in zip(header, cells, strict=True)}))
    except csv.Error as exc:
        # e.g. a field larger than the csv module's field size limit.
        line = f"line {reader.line_num}"
        raise ScenarioError(where, line, f"not a readable CSV: {exc}") from None
    return rows


class _PlacesCsv:
    """The rows of a places CSV, and how to name a problem in one of them."""

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        self.rows = _read_rows(path)
        self.lines: dict[str, int] = {}

    def problem(self, line: int, column: str, message: str) -> ScenarioError:
        return ScenarioError(self.where, f"line {line}, column {column}", message)

    def number(self, row: dict, key: str, low: float, high: float) -> float:
        """The number in ``row[key]``, refused unless from *low* to *high*."""
        line, text = self.lines[row["id"]], row[key]
        allowed = f"a number from {_plain(low)} to {_plain(high)}"
        if not text:
            raise self.problem(line, key, f"empty; needs {allowed}")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:  # also refuses NaN and text
            raise self.problem(line, key, f"must be {allowed}, got {short_repr(text)}")
        return value

    def check_columns(self) -> bool:
        """Whether places are given in km (else in lon, lat); refuses missing columns."""
        if not self.rows:
            raise ScenarioError(self.where, "", "the CSV file has no rows")
        columns = set(self.rows[0][1])
        planar = {"x_km", "y_km"} <= columns
        if not planar and not {"lon", "lat"} <= columns:
            raise ScenarioError(self.where, "line 1", "needs columns x_km, y_km or lon, lat")
        missing = {"id", "level", "parent", "population"} - columns
        if missing:
            raise ScenarioError(
                self.where, "line 1", f"missing columns: {', '.join(sorted(missing))}"
            )
        return planar

    def check_ids_and_levels(self) -> None:
        """Every id present and unique, every level hub, station or point."""
        for line, row in self.rows:
            if not row["id"]:
                raise self.problem(line, "id", "empty; every place needs an id")
            if row["id"] in self.lines:
                earlier = self.lines[row["id"]]
                raise self.problem(
                    line, "id", f"duplicate id {short_repr(row['id'])} (also on line {earlier})"
                )
            self.lines[row["id"]] = line
            if row["level"] not in LEVEL_NAMES:
                level = short_repr(row["level"])
                raise self.problem(line, "level", f"must be hub, station or point, got {level}")

    def ordered(self) -> list[dict]:
        """The rows in a geography's order: the hub, then the stations, then the points."""
        hubs = [row for _, row in self.rows if row["level"] == "hub"]
        if len(hubs) != 1:
            found = f"found {len(hubs)}"
            if hubs:
                found += f", on lines {', '.join(str(self.lines[row['id']]) for row in hubs)}"
            raise ScenarioError(self.where, "", f"needs exactly one row with level hub, {found}")
        ordered = hubs + [row for _, row in self.rows if row["level"] == "station"]
        return ordered + [row for _, row in self.rows if row["level"] == "point"]

    def parents(self, ordered: list[dict]) -> np.ndarray:
        """Each place's parent position: a point's is a station, a station's the hub."""
        index = {row["id"]: i for i, row in enumerate(ordered)}
        parent = np.full(len(ordered), -1, dtype=np.int32)
        for i, row in enumerate(ordered[1:], start=1):
            want = STATION if row["level"] == "point" else HUB
            parent_id = row["parent"] or (ordered[0]["id"] if want == HUB else "")
            j = index.get(parent_id, -1)
            if j < 0 or LEVEL_NAMES[ordered[j]["level"]] != want:
                kind = "a station" if want == STATION else "the hub"
                raise self.problem(
                    self.lines[row["id"]],
                    "parent",
                    f"place {short_repr(row['id'])} needs {kind} as parent, "
                    f"got {short_repr(row['parent'])}",
                )
            parent[i] = j
        return parent

    def column(self, ordered: list[dict], key: str) -> np.ndarray:
        """A coordinate column's numbers, in the geography's order."""
        low, high = _COORDINATE_RANGES[key]
        return np.array([self.number(r, key, low, high) for r in ordered])

    def check_levels_present(self) -> None:
        """At least one station and one village point."""
        for needed in ("station", "point"):
            if not any(row["level"] == needed for _, row in self.rows):
                raise ScenarioError(
                    self.where,
                    "",
                    f"has no row with level {needed}; a county needs the hub, at least one "
                    "station and at least one village point",
                )


def projected_km(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Degrees to km, projected around the first place (the hub): equirectangular."""
    lon, lat = np.radians(lon), np.radians(lat)
    xs = (lon - lon[0]) * math.cos(lat[0]) * _EARTH_RADIUS_KM
    return xs, (lat - lat[0]) * _EARTH_RADIUS_KM


def read_geography_csv(path: Path, circuity: float) -> Geography:
    """Read places from a CSV file.

    Columns: ``id, level, parent, population`` and either ``x_km, y_km`` or
    ``lon, lat`` (projected around the hub). ``level`` is hub, station or point;
    a point's parent is a station, a station's parent the hub (or empty). Population
    is required for points (it is ignored elsewhere). The file must be UTF-8 (a BOM
    is fine) and at most :data:`MAX_CSV_BYTES`.

    Raises
    ------
    ScenarioError
        Naming the file, the line and column, the value and what is allowed.
    """
    places = _PlacesCsv(path)
    planar = places.check_columns()
    places.check_ids_and_levels()
    ordered = places.ordered()
    parent = places.parents(ordered)
    if planar:
        lon = lat = None
        xs, ys = places.column(ordered, "x_km"), places.column(ordered, "y_km")
    else:
        lon, lat = places.column(ordered, "lon"), places.column(ordered, "lat")
        xs, ys = projected_km(lon, lat)
    level = np.array([LEVEL_NAMES[r["level"]] for r in ordered], dtype=np.int8)
    # Only villages have residents; the hub's and stations' cells may stay empty.
    population = np.array(
        [
            places.number(r, "population", 0, MAX_POPULATION) if kind == POINT else 0.0
            for r, kind in zip(ordered, level, strict=True)
        ]
    )
    # Last: a row's own problem (a point without a station) says more than this.
    places.check_levels_present()
    return Geography(
        ids=tuple(r["id"] for r in ordered),
        level=level,
        parent=parent,
        x_km=xs - xs[0],
        y_km=ys - ys[0],
        population=population,
        circuity=circuity,
        lon=lon,
        lat=lat,
    )
