"""Read a results folder (compare, sweep or run) into tables for the report.

Everything here reads files that ``ruralsim compare``, ``sweep`` and ``run``
wrote; nothing is simulated. Anything unexpected (not a results folder, an
unfinished experiment, a missing or damaged table) raises :class:`ResultsError`
with one message naming the file.

A report must never show numbers the folder does not back, so besides columns and
numbers the checks cover what damage leaves behind: a file cut off mid-line or
missing rows (``kpis.csv`` must have exactly the manifest's replications, each
detail table the same rows for each of them), cells emptied or reading
``nan``/``inf``, a ``comparison.csv`` that is not what its scenarios' ``kpis.csv``
give, places and services that are not one network, and manifest fields of the
wrong type.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.compare import COMPARISON_COLUMNS, comparison_table, with_practical
from sim.analysis.directions import HEADLINE_KPIS
from sim.analysis.stages import STAGE_COLUMNS
from sim.analysis.sweep import SUMMARY_COLUMNS
from sim.results.files import MANIFEST
from sim.results.manifest import ManifestError, check_manifest
from sim.scenario.schema import SAFE_NAME

"""Names that can be a folder of the results folder (as compare and sweep allow)."""
DETAIL_FILES = {
    "percentiles": "lead_time_percentiles.csv",
    "villages": "villages.csv",
    "daily": "daily.csv",
    "places": "places.csv",
    "services": "services.csv",
    "day_kinds": "day_kinds.csv",
    "stages": "stages.csv",
    "outbound_daily": "outbound_daily.csv",
}
"""The detail tables of one scenario, in ``<scenario>/details/``."""
_OPTIONAL_FILES = ("day_kinds", "stages", "outbound_daily")
"""Detail tables an older ruralsim did not write: a folder without them still loads."""

_DETAIL_COLUMNS = {
    "percentiles": ("replication", "quantile", "lead_time_h"),
    "villages": (
        "replication",
        "village",
        "x_km",
        "y_km",
        "road_km_from_hub",
        "parcels",
        "delivered",
        "lead_time_mean_h",
    ),
    "daily": (
        "replication",
        "day",
        "measured",
        "parcels_arrived",
        "parcels_delivered",
        "backlog_hub_end",
        "backlog_stations_end",
        "sorting_utilization",
    ),
    "places": ("id", "level", "x_km", "y_km"),
    "services": ("service", "fleet", "stops"),
    "day_kinds": (
        "replication",
        "kind",
        "days",
        "parcels",
        "delivered",
        "lead_time_mean_h",
        "lead_time_p90_h",
        "on_time_24h_share",
        "door_time_mean_h",
    ),
    "stages": ("replication", "measure", "village", "parcels", *STAGE_COLUMNS, "total_h"),
    "outbound_daily": (
        "replication",
        "day",
        "measured",
        "product",
        "dropped",
        "shipped_same_day",
        "shipped",
        "spoiled",
    ),
}
_NUMERIC = {
    "percentiles": ("replication", "quantile", "lead_time_h"),
    "villages": ("replication", "x_km", "y_km", "road_km_from_hub", "parcels", "delivered"),
    "daily": (
        "replication",
        "day",
        "parcels_arrived",
        "parcels_delivered",
        "backlog_hub_end",
        "backlog_stations_end",
        "sorting_utilization",
    ),
    "places": ("x_km", "y_km"),
    "services": (),
    "day_kinds": ("replication", "days", "parcels", "delivered"),
    "stages": ("replication", "parcels"),
    "outbound_daily": ("replication", "day", "dropped", "shipped_same_day", "shipped", "spoiled"),
}
_OPTIONAL_VALUES = {
    "villages": ("lead_time_mean_h",),
    "percentiles": ("lead_time_h",),
    "day_kinds": ("lead_time_mean_h", "lead_time_p90_h", "on_time_24h_share", "door_time_mean_h"),
    # The county's rows have no village; a village without parcels has no times.
    "stages": ("village", *STAGE_COLUMNS, "total_h"),
}
"""Detail columns that may be empty (a village, a replication or a kind of day with no
parcel delivered). Every other column named above must have a value in every row."""
_PER_REPLICATION = ("percentiles", "villages", "daily", "day_kinds", "stages", "outbound_daily")
"""Detail tables with a row set per replication (the same rows in each)."""
DAY_KINDS = ("ordinary", "peak")
"""The kinds of day in ``day_kinds.csv``, as :data:`sim.analysis.details.DAY_KINDS` (a test
checks they agree; importing that module would load the simulation into every report)."""


# Numbers read back exactly as written: pandas 3 does so by default, pandas 2 when asked.
_EXACT = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


class ResultsError(ValueError):
    """A results folder that cannot be read (for a report); the message says why."""


@dataclass
class Details:
    """The detail tables behind the distribution, map, daily and distance figures.

    Every table is optional, so a figure can be drawn from just the table it needs.

    Attributes
    ----------
    percentiles : DataFrame or None
        ``quantile, lead_time_h`` (and ``replication``): lead-time percentiles.
    villages : DataFrame or None
        Per village (and ``replication``): ``village, x_km, y_km, road_km_from_hub,
        parcels, delivered, lead_time_mean_h``.
    daily : DataFrame or None
        Per day (and ``replication``): ``day, measured, parcels_arrived,
        parcels_delivered, backlog_hub_end, backlog_stations_end, sorting_utilization``.
    places : DataFrame or None
        ``id, level (hub/station/point), x_km, y_km``.
    services : DataFrame or None
        ``service, fleet, stops`` (place ids separated by spaces).
    day_kinds : DataFrame or None
        Per replication one ``ordinary`` and one ``peak`` row (``kind``): ``days``
        measured, ``parcels``, ``delivered``, ``lead_time_mean_h``, ``lead_time_p90_h``,
        ``on_time_24h_share``, ``door_time_mean_h`` (empty where none was delivered).
        None for results of an older ruralsim.
    stages : DataFrame or None
        Where the time goes (:func:`sim.analysis.stages.stage_table`; and
        ``replication``): per ``measure`` (lead, door) and ``village`` (empty for the
        county), ``parcels``, the mean hours of each stage and ``total_h``. None for
        results of an older ruralsim.
    outbound_daily : DataFrame or None
        Per replication, day of drop-off and ``product``: ``measured``, ``dropped``,
        ``shipped_same_day``, ``shipped``, ``spoiled`` (farm products going out); None
        for a scenario without an ``outbound`` section.
    """

    percentiles: pd.DataFrame | None = None
    villages: pd.DataFrame | None = None
    daily: pd.DataFrame | None = None
    places: pd.DataFrame | None = None
    services: pd.DataFrame | None = None
    day_kinds: pd.DataFrame | None = None
    stages: pd.DataFrame | None = None
    outbound_daily: pd.DataFrame | None = None


@dataclass
class Results:
    """One results folder, read for a report.

    Attributes
    ----------
    folder : Path
        The results folder.
    kind : str
        ``"compare"``, ``"sweep"`` or ``"run"``.
    manifest : dict
        The folder's ``manifest.json``.
    names : list of str
        The scenarios (compare, run) or sweep points, in order; the first is the
        reference of a comparison.
    table : DataFrame
        Long table with the columns of ``comparison.csv`` (``scenario`` holds the
        name): a comparison's own table; for a run its means and intervals; for a
        sweep each point's means and intervals (differences empty).
    kpis : dict of str to DataFrame
        Per-replication KPI tables, where the folder has them.
    details : dict of str to Details
        Detail tables of the names that have them all.
    scenarios : dict of str to dict
        Each name's fully resolved scenario.
    sweep : DataFrame or None
        A sweep's ``sweep.csv``.
    varied : list of str
        A sweep's varied scenario paths.
    missing_details : list of str
        Names whose detail tables are missing.
    """

    folder: Path
    kind: str
    manifest: dict
    names: list[str]
    table: pd.DataFrame
    kpis: dict[str, pd.DataFrame] = field(default_factory=dict)
    details: dict[str, Details] = field(default_factory=dict)
    scenarios: dict[str, dict] = field(default_factory=dict)
    sweep: pd.DataFrame | None = None
    varied: list[str] = field(default_factory=list)
    missing_details: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """The first name (a comparison's reference)."""
        return self.names[0]

    @property
    def replications(self) -> int | None:
        """Replications per scenario, as the manifest says (:func:`load_results` checks it)."""
        value = self.manifest.get("replications")
        return value if _is_whole(value, 1) else None

    @property
    def seed(self):
        """The root seed."""
        return self.manifest.get("seed")

    def point_values(self, name: str) -> dict:
        """A sweep point's values of the varied paths (empty for other kinds)."""
        if self.sweep is None:
            return {}
        per_point = len(self.sweep) // len(self.names)
        row = self.sweep.iloc[self.names.index(name) * per_point]
        return {path: row[path] for path in self.varied}

    def peaks(self, name: str) -> list[tuple[int, int, float]]:
        """A scenario's demand peaks, ``(start_day, days, factor)``, from its resolved scenario.

        A peak of factor 1 is left out: its days are ordinary ones (as in
        ``day_kinds.csv``); so is anything in the manifest that is not a peak.
        """
        scenario = self.scenarios.get(name)
        demand = scenario.get("demand") if isinstance(scenario, dict) else None
        periods = demand.get("peaks") if isinstance(demand, dict) else None
        found = []
        for peak in periods if isinstance(periods, list) else []:
            if not isinstance(peak, dict):
                continue
            start, days, factor = (peak.get(k) for k in ("start_day", "days", "factor"))
            if _is_whole(start) and _is_whole(days, 1) and _is_number(factor) and factor != 1:
                found.append((start, days, float(factor)))
        return found

    def title(self, name: str) -> str:
        """The scenario's ``title`` from its resolved scenario, or its name when it has none."""
        scenario = self.scenarios.get(name)
        title = scenario.get("title") if isinstance(scenario, dict) else None
        return title.strip() if isinstance(title, str) and title.strip() else name

    def label(self, name: str) -> str:
        """How a name is shown to people: the scenario's title, a sweep point with its values.

        Every sweep point shares its base scenario's title, so a point is shown by its
        name and the values that set it apart.
        """
        values = self.point_values(name)
        if not values:
            return self.title(name)
        short = ", ".join(f"{path.rsplit('.', 1)[-1]}={value}" for path, value in values.items())
        return f"{name} ({short})"


# --------------------------------------------------------------------------- reading


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ResultsError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path} is not a ruralsim manifest (not a JSON object)")
    return data


def read_csv(
    path: Path,
    columns: Sequence[str],
    numeric: Sequence[str] = (),
    required: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a CSV table the report needs, checking its columns and numbers.

    Only an empty cell is a missing value (ruralsim writes NaN so); a cell reading
    ``nan``, ``inf`` or ``NA`` was not written by ruralsim and is refused in a numeric
    column (and kept as text in another: a village may be called ``NA``).

    Parameters
    ----------
    path : Path
        The file.
    columns : sequence of str
        Columns it must have.
    numeric : sequence of str
        Columns that must hold finite numbers (or nothing, unless also required).
    required : sequence of str
        Columns that must have a value in every row.

    Returns
    -------
    DataFrame
        The table; numbers read exactly as written (round trip).

    Raises
    ------
    ResultsError
        If the file is missing, is not a CSV table, is cut off in the middle of a
        line, or lacks a column, a value or a number.
    """
    if path.is_dir():
        raise ResultsError(f"{path} is a folder, not a CSV file")
    if not path.is_file():
        raise ResultsError(f"{path} is missing")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise ResultsError(f"{path} cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path} is not a readable CSV table (not UTF-8 text)") from None
    if "\x00" in text:
        raise ResultsError(f"{path} is not a readable CSV table (binary data)")
    if text and not text.endswith("\n"):  # ruralsim ends every line, the last one too
        raise ResultsError(
            f"{path} does not end with a line break: the file is cut off (or was not "
            "written by ruralsim)"
        )
    rows = csv.reader(io.StringIO(text))
    width = len(next(rows, []))
    for row in rows:  # pandas would fill a short row with missing values
        if row and len(row) != width:
            raise ResultsError(
                f"{path}: line {rows.line_num} has {len(row)} field(s), the header {width}; "
                "is it damaged?"
            )
    try:
        frame = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""], **_EXACT)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultsError(f"{path} is not a readable CSV table ({reason})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ResultsError(f"{path} lacks column(s) {', '.join(missing)}; is it damaged?")
    for column in required:
        empty = frame[column].isna().to_numpy()
        if empty.any():
            raise ResultsError(
                f"{path}: column {column} is empty in data row {int(empty.nonzero()[0][0]) + 1}; "
                "every row needs a value (is the file damaged?)"
            )
    return _numbers(path, frame, numeric)


def _numbers(path: Path, frame: pd.DataFrame, numeric: Sequence[str]) -> pd.DataFrame:
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        bad = ~np.isfinite(values.to_numpy()) & frame[column].notna().to_numpy()
        if bad.any():
            row = int(bad.nonzero()[0][0])
            cell = frame[column].iloc[row]
            cell = cell if isinstance(cell, str) else str(float(cell))  # inf is read as a float
            raise ResultsError(
                f"{path}: column {column} holds {cell!r} in data row {row + 1}, not a finite number"
            )
        frame[column] = values
    return frame


def _whole_numbers(path: Path, frame: pd.DataFrame, column: str) -> None:
    """Check a numeric column holds whole numbers, and make it integer."""
    values = frame[column].to_numpy()
    bad = values != np.round(values)
    if bad.any():
        row = int(bad.nonzero()[0][0])
        raise ResultsError(
            f"{path}: column {column} holds {float(values[row])!r} in data row {row + 1}, "
            "not a whole number"
        )
    frame[column] = values.astype(np.int64)


def _check_replications(path: Path, frame: pd.DataFrame, replications: int) -> None:
    """Check a per-replication table has the same rows for replications 0..n-1 each."""
    _whole_numbers(path, frame, "replication")
    counts = frame.groupby("replication", sort=True).size()
    found = counts.index.tolist()
    if found != list(range(replications)):
        shown = ", ".join(map(str, found[:10])) + (" ..." if len(found) > 10 else "")
        raise ResultsError(
            f"{path} holds replication(s) {shown or 'none'}, but {MANIFEST} says "
            f"{replications} replication(s) (0 to {replications - 1}); is it damaged?"
        )
    if counts.nunique() != 1:
        raise ResultsError(
            f"{path}: replication {int(counts.idxmin())} has {int(counts.min())} rows, "
            f"replication {int(counts.idxmax())} {int(counts.max())}; each should have the "
            "same rows (is the file damaged?)"
        )


def _check_long_table(path: Path, table: pd.DataFrame, names: list[str]) -> None:
    if table.empty:
        raise ResultsError(f"{path} has no rows")
    kpis = list(dict.fromkeys(table["kpi"]))
    for name in names:
        found = table.loc[table["scenario"] == name, "kpi"].tolist()
        if found != kpis:
            raise ResultsError(f"{path}: scenario {name} does not have the same KPIs as the others")
    missing = [k for k in HEADLINE_KPIS if k not in kpis]
    if missing:
        raise ResultsError(f"{path} lacks the headline KPI(s) {', '.join(missing)}")


def _arm_folder(folder: Path, *parts: str) -> Path | None:
    """An arm's folder inside the results folder, or None for a name that cannot be one."""
    # A scenario name names its folder (the schema's rule); a point is p000 and so on.
    if not all(SAFE_NAME.fullmatch(part) for part in parts):
        return None
    return folder.joinpath(*parts)


def _read_details(folder: Path | None, replications: int) -> Details | None:
    """A scenario's detail tables, or None when it has none (made by an older ruralsim).

    A ``details`` folder that exists must hold every table, undamaged, with the
    manifest's replications: a figure is never drawn from part of the data.
    """
    if folder is None:
        return None
    where = folder / "details"
    if not where.exists():
        return None
    if not where.is_dir():
        raise ResultsError(f"{where} is not a folder")
    tables = {}
    for key, name in DETAIL_FILES.items():
        optional = _OPTIONAL_VALUES.get(key, ())
        required = [c for c in _DETAIL_COLUMNS[key] if c not in optional]
        numeric = (*_NUMERIC[key], *(c for c in optional if c != "village"))
        path = where / name
        if key in _OPTIONAL_FILES and not path.exists():
            continue
        frame = read_csv(path, _DETAIL_COLUMNS[key], numeric, required)
        if frame.empty:
            raise ResultsError(f"{path} has no rows")
        if key in _PER_REPLICATION:
            _check_replications(path, frame, replications)
        tables[key] = frame
    path = where / DETAIL_FILES["daily"]
    daily = tables["daily"]
    measured = daily["measured"].astype(str).str.lower()
    if not measured.isin(["true", "false"]).all():
        raise ResultsError(f"{path}: column measured is not True/False")
    daily["measured"] = measured == "true"
    _check_network(where, tables)
    if "day_kinds" in tables:
        _check_day_kinds(where, tables["day_kinds"], daily)
    if "stages" in tables:
        _check_stages(where, tables["stages"], set(tables["places"]["id"].astype(str)))
    return Details(**tables)


def _check_stages(where: Path, stages: pd.DataFrame, places: set[str]) -> None:
    """Check ``stages.csv``: lead and door rows, for the county and places of the network."""
    path = where / DETAIL_FILES["stages"]
    _whole_numbers(path, stages, "parcels")
    stages["measure"] = stages["measure"].astype(str)
    odd = sorted(set(stages["measure"]) - {"lead", "door"})
    if odd:
        raise ResultsError(f"{path}: measure {odd[0]!r} is neither lead nor door; is it damaged?")
    villages = stages["village"].dropna().astype(str)
    unknown = sorted(set(villages) - places)
    if unknown:
        raise ResultsError(
            f"{path}: village {unknown[0]!r} is not in {where / DETAIL_FILES['places']}; "
            "one of them is damaged"
        )


def _check_day_kinds(where: Path, day_kinds: pd.DataFrame, daily: pd.DataFrame) -> None:
    """Check each replication has one ordinary and one peak row over the measured days."""
    path = where / DETAIL_FILES["day_kinds"]
    for column in ("days", "parcels", "delivered"):
        _whole_numbers(path, day_kinds, column)
        negative = day_kinds[column].to_numpy() < 0
        if negative.any():
            row = int(negative.nonzero()[0][0]) + 1
            raise ResultsError(f"{path}: column {column} is negative in data row {row}")
    day_kinds["kind"] = day_kinds["kind"].astype(str)
    for replication, rows in day_kinds.groupby("replication", sort=True):
        if sorted(rows["kind"]) != sorted(DAY_KINDS):
            raise ResultsError(
                f"{path}: replication {replication} has the kinds {', '.join(rows['kind'])}, "
                f"not one row each of {' and '.join(DAY_KINDS)}; is it damaged?"
            )
    over = (day_kinds["delivered"] > day_kinds["parcels"]).to_numpy()
    if over.any():
        row = int(over.nonzero()[0][0]) + 1
        raise ResultsError(f"{path}: data row {row} has more parcels delivered than parcels")
    measured = daily[daily["measured"]].groupby("replication").size()
    counted = day_kinds.groupby("replication")["days"].sum()
    if not counted.reindex(measured.index, fill_value=0).equals(measured):
        raise ResultsError(
            f"{path}: the ordinary and peak days do not add up to the measured days of "
            f"{where / DETAIL_FILES['daily']}; one of them is damaged"
        )


def _check_network(where: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Check the places and services are one network, and every village is a place of it."""
    places, services = where / DETAIL_FILES["places"], where / DETAIL_FILES["services"]
    for path, key, column in ((places, "places", "id"), (services, "services", "service")):
        names = tables[key][column].astype(str)
        if "network" in tables[key]:  # a branded scenario's: each network names its own
            names = tables[key]["network"].astype(str) + "/" + names
        repeated = names.duplicated()
        if repeated.any():
            value = tables[key][column].iloc[int(repeated.to_numpy().nonzero()[0][0])]
            raise ResultsError(f"{path}: {column} {value!r} appears twice; is it damaged?")
    ids = set(tables["places"]["id"].astype(str))
    unknown = [v for v in tables["villages"]["village"].astype(str) if v not in ids]
    if unknown:
        raise ResultsError(
            f"{where / DETAIL_FILES['villages']}: village {unknown[0]!r} is not in {places}; "
            "one of them is damaged"
        )
    stops = {stop for text in tables["services"]["stops"].astype(str) for stop in text.split()}
    strays = sorted(stops - ids)
    if strays:
        raise ResultsError(
            f"{services}: stop {strays[0]!r} is not in {places}; one of them is damaged"
        )


def _attach_details(results: Results, name: str, folder: Path | None) -> None:
    """Add a scenario's detail tables, or note that it has none."""
    details = _read_details(folder, results.replications)
    if details is None:
        results.missing_details.append(name)
    else:
        results.details[name] = details


def _read_kpis(path: Path, replications: int) -> pd.DataFrame:
    """A ``kpis.csv``: one row per replication 0..n-1, as the manifest says."""
    ids = ("replication", "seed")
    frame = read_csv(path, (*ids, *HEADLINE_KPIS), required=ids)
    frame = _numbers(path, frame, list(frame.columns))  # every column is a number
    if len(frame) != replications:
        hint = "is the file cut off?" if len(frame) < replications else "is it damaged?"
        raise ResultsError(
            f"{path} has {len(frame)} row(s), but {MANIFEST} says {replications} "
            f"replication(s); {hint}"
        )
    _whole_numbers(path, frame, "replication")
    if frame["replication"].tolist() != list(range(replications)):
        raise ResultsError(
            f"{path}: column replication should run 0 to {replications - 1}, one row each"
        )
    return frame


def _is_whole(value, least: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _status(manifest: dict, path: Path, what: str) -> None:
    status = manifest.get("status")
    if status != "complete":
        raise ResultsError(
            f"{path.parent}: the {what} is not complete (status: {status}); finish it "
            f"(run the same command with --resume) before making a report"
        )


def _resolved(manifest: dict) -> dict[str, dict]:
    found = {}
    for arm in manifest.get("arms", []):
        if isinstance(arm.get("scenario"), dict):
            found[str(arm.get("label"))] = arm["scenario"]
    return found


def _check_against_kpis(
    path: Path, table: pd.DataFrame, kpis: dict[str, pd.DataFrame], manifest: dict
) -> None:
    """Check ``comparison.csv`` is what the scenarios' ``kpis.csv`` give.

    The report shows the comparison's numbers and says how many replications
    they rest on; a damaged table on either side would make that a false claim.
    """
    wanted = list(dict.fromkeys(table["kpi"]))
    for name, frame in kpis.items():
        lacking = [k for k in wanted if k not in frame.columns]
        if lacking:
            raise ResultsError(
                f"{path.parent / name / 'kpis.csv'} lacks column(s) {', '.join(lacking)}; "
                "is it damaged?"
            )
    if not kpis:
        return
    level = manifest.get("confidence_level", 0.95)
    expected = comparison_table(kpis, wanted, level, manifest_practical(manifest))
    shown = table[table["scenario"].isin(kpis)].reset_index(drop=True)  # same row order
    numbers = [c for c in COMPARISON_COLUMNS if c not in ("scenario", "kpi")]
    if list(kpis) != list(dict.fromkeys(table["scenario"])):
        numbers = ["mean", "ci_low", "ci_high"]  # without every scenario, no differences
    got = shown[numbers].to_numpy(dtype=float)
    want = expected[numbers].to_numpy(dtype=float)
    differs = ~np.isclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    if differs.any():
        row, column = (int(i[0]) for i in differs.nonzero())
        name, kpi = shown["scenario"].iloc[row], shown["kpi"].iloc[row]
        raise ResultsError(
            f"{path} does not agree with {path.parent / name / 'kpis.csv'} ({kpi} "
            f"{numbers[column]}: {float(got[row, column])!r} there, "
            f"{float(want[row, column])!r} from the replications); one of them is damaged"
        )


def manifest_practical(manifest: dict) -> dict[str, tuple[float, float]]:
    """The practical thresholds the comparison was told to use instead of the KPI table's."""
    given = manifest.get("practical")
    found = {}
    for kpi, effect in given.items() if isinstance(given, dict) else ():
        if isinstance(effect, list) and len(effect) == 2 and all(map(_is_number, effect)):
            found[str(kpi)] = (float(effect[0]), float(effect[1]))
    return found


def _load_compare(folder: Path, manifest: dict) -> Results:
    _status(manifest, folder / MANIFEST, "comparison")
    path = folder / "comparison.csv"
    # Folders made before the practical thresholds have no ``practical`` column: the
    # KPI table's thresholds are filled in (those are what a comparison uses by default).
    older = [c for c in COMPARISON_COLUMNS if c != "practical"]
    numeric = [c for c in older if c not in ("scenario", "kpi")]
    table = read_csv(path, older, numeric, required=("scenario", "kpi"))
    if table.empty:
        raise ResultsError(f"{path} has no rows")
    if "practical" in table.columns:
        table = _numbers(path, table, ["practical"])
    else:
        table = with_practical(table, manifest_practical(manifest))
    table["scenario"] = table["scenario"].astype(str)
    names = list(dict.fromkeys(table["scenario"]))
    listed = [str(s.get("name")) for s in manifest.get("scenarios", [])]
    if listed and listed != names:
        raise ResultsError(
            f"{path} and {folder / MANIFEST} name different scenarios "
            f"({', '.join(names)} / {', '.join(listed)})"
        )
    _check_long_table(path, table, names)
    results = Results(folder, "compare", manifest, names, table[list(COMPARISON_COLUMNS)])
    results.scenarios = _resolved(manifest)
    for name in names:
        arm = _arm_folder(folder, name)
        # A name that cannot be a folder has none to read (its figures are left out, and
        # the page says so); every other scenario's replications must back the table.
        if arm is not None:
            results.kpis[name] = _read_kpis(arm / "kpis.csv", results.replications)
        _attach_details(results, name, arm)
    _check_against_kpis(path, table, results.kpis, manifest)
    return results


def _check_counts(path: Path, sweep: pd.DataFrame, replications: int) -> None:
    """Check each row's ``n`` fits the manifest and its mean and interval."""
    _whole_numbers(path, sweep, "n")
    n = sweep["n"].to_numpy()
    mean = np.isfinite(sweep["mean"].to_numpy())
    interval = np.isfinite(sweep[["ci_low", "ci_high"]].to_numpy()).all(axis=1)
    problems = [
        ((n < 0) | (n > replications), f"n outside 0 to {replications} (the replications)"),
        ((n >= 1) & ~mean, "no mean although n is at least 1"),
        ((n == 0) & mean, "a mean although n is 0"),
        ((n >= 2) & ~interval, "no interval although n is at least 2"),
    ]
    for bad, what in problems:
        if bad.any():
            row = int(bad.nonzero()[0][0])
            raise ResultsError(f"{path}: data row {row + 1} has {what}; is the file damaged?")


def _load_sweep(folder: Path, manifest: dict) -> Results:
    _status(manifest, folder / MANIFEST, "sweep")
    varied = manifest["varied_paths"]
    names = [p["point"] for p in manifest["points"]]
    path = folder / "sweep.csv"
    sweep = read_csv(
        path, (*varied, *SUMMARY_COLUMNS), ("mean", "ci_low", "ci_high", "n"), ("kpi", "n")
    )
    if len(sweep) % len(names):
        raise ResultsError(f"{path} has {len(sweep)} rows, not a whole number per point")
    _check_counts(path, sweep, manifest["replications"])
    per_point = len(sweep) // len(names)
    table = sweep[["kpi", "mean", "ci_low", "ci_high"]].copy()
    table.insert(0, "scenario", [name for name in names for _ in range(per_point)])
    for column in ("diff", "diff_ci_low", "diff_ci_high", "p_value", "practical"):
        table[column] = math.nan
    _check_long_table(path, table, names)
    results = Results(folder, "sweep", manifest, names, table, sweep=sweep, varied=varied)
    results.scenarios = _resolved(manifest)
    for name in names:
        point = _arm_folder(folder, "points", name)
        if point is None:
            raise ResultsError(f"{folder / MANIFEST}: {name!r} cannot be a sweep point's folder")
        _attach_details(results, name, point)
    return results


def _load_run(folder: Path, manifest: dict) -> Results:
    name = manifest["scenario_name"]
    kpis = _read_kpis(folder / "kpis.csv", manifest["replications"])
    table = comparison_table({name: kpis})
    results = Results(folder, "run", manifest, [name], table, kpis={name: kpis})
    if isinstance(manifest.get("scenario"), dict):
        results.scenarios = {name: manifest["scenario"]}
    _attach_details(results, name, folder)
    return results


def load_results(folder: str | os.PathLike) -> Results:
    """Read a results folder of ``ruralsim compare``, ``sweep`` or ``run``.

    Parameters
    ----------
    folder : path
        The results folder (the one with ``manifest.json``).

    Returns
    -------
    Results
        Its tables, ready for the figures and the report.

    Raises
    ------
    ResultsError
        If it is not a results folder, is unfinished, or a table is missing or damaged.
    """
    folder = Path(folder)
    if not folder.exists():
        raise ResultsError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ResultsError(f"{folder} is not a folder; give a results folder of ruralsim")
    if not (folder / MANIFEST).is_file():
        raise ResultsError(
            f"{folder} is not a ruralsim results folder (no {MANIFEST}); give the folder "
            "that ruralsim compare, sweep or run wrote"
        )
    manifest = _read_json(folder / MANIFEST)
    kind = manifest.get("kind")
    if kind is None and "scenario_name" in manifest:
        kind = "run"
    if kind == "region":
        raise ResultsError(
            f"{folder} holds a region: a report covers one county at a time, "
            f"ruralsim report {folder / '<county>'}; the region's KPIs are in "
            f"{folder / 'kpis.csv'} (sim.results.reader.load_region_results reads them all)"
        )
    loaders = {"compare": _load_compare, "sweep": _load_sweep, "run": _load_run}
    if not isinstance(kind, str) or kind not in loaders:
        raise ResultsError(f"{folder / MANIFEST} does not describe a compare, sweep or run result")
    try:
        check_manifest(manifest, folder / MANIFEST)
    except ManifestError as exc:
        raise ResultsError(str(exc)) from None
    return loaders[kind](folder, manifest)


# --------------------------------------------------------------------------- regions


@dataclass
class RegionResults:
    """A region's results folder (``ruralsim region``), read and checked.

    Attributes
    ----------
    folder : Path
        The results folder.
    manifest : dict
        Its ``manifest.json``.
    name : str
        The region's name.
    kpis : DataFrame
        The region's KPIs, one row per replication (``kpis.csv``).
    counties : dict of str to Results
        Each county's run folder, read as :func:`load_results` reads a run.
    """

    folder: Path
    manifest: dict
    name: str
    kpis: pd.DataFrame
    counties: dict[str, Results]


_SUMMED = ("parcels_generated", "parcels_delivered", "parcels_picked_up", "parcels_in_system")
"""Region KPIs that are the counties' sums (checked against the counties' folders)."""


def load_region_results(folder: str | os.PathLike) -> RegionResults:
    """Read a region's results folder: its KPIs and every county's run folder.

    Besides every check :func:`load_results` makes of each county, each county's seed
    must be the one the region's manifest gives it, and the region's parcel counts
    the sums of its counties'.

    Raises
    ------
    ResultsError
        If it is not a complete region folder, or a table is missing or damaged.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise ResultsError(f"{folder} is not a ruralsim results folder (no {MANIFEST})")
    manifest = _read_json(path)
    if manifest.get("kind") != "region":
        raise ResultsError(f"{path} does not describe a region result")
    try:
        check_manifest(manifest, path)
    except ManifestError as exc:
        raise ResultsError(str(exc)) from None
    _status(manifest, path, "region")
    replications = manifest["replications"]
    kpis = _read_kpis(folder / "kpis.csv", replications)
    counties = {}
    for arm in manifest["arms"]:
        county = _arm_folder(folder, str(arm.get("key")))
        if county is None:
            raise ResultsError(f"{path}: {arm.get('key')!r} cannot be a county's folder")
        counties[arm["label"]] = loaded = load_results(county)
        if loaded.seed != arm.get("seed") or loaded.replications != replications:
            raise ResultsError(
                f"{county / MANIFEST} does not match {path} (seed or replications); "
                "one of them is damaged"
            )
    for name in _SUMMED:
        summed = sum(c.kpis[c.names[0]][name].to_numpy() for c in counties.values())
        if not np.array_equal(summed, kpis[name].to_numpy()):
            raise ResultsError(
                f"{folder / 'kpis.csv'}: {name} is not the sum of the counties'; "
                "one of the files is damaged"
            )
    region_name = manifest.get("region_name")
    return RegionResults(folder, manifest, str(region_name), kpis, counties)
