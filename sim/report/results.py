"""Read a results folder (compare, sweep or run) into tables for the report.

Everything here reads files that ``ruralsim compare``, ``sweep`` and ``run``
wrote; nothing is simulated. Anything unexpected (not a results folder, an
unfinished experiment, a missing or damaged table) raises :class:`ReportError`
with one message naming the file.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.analysis.compare import COMPARISON_COLUMNS, comparison_table
from sim.analysis.directions import HEADLINE_KPIS
from sim.analysis.sweep import SUMMARY_COLUMNS

MANIFEST = "manifest.json"
_FOLDER_NAME = re.compile(r"[\w][\w.\-]*")
"""Names that can be a folder of the results folder (as compare and sweep allow)."""
DETAIL_FILES = {
    "percentiles": "lead_time_percentiles.csv",
    "villages": "villages.csv",
    "daily": "daily.csv",
    "places": "places.csv",
    "services": "services.csv",
}
"""The detail tables of one scenario, in ``<scenario>/details/``."""

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
}


# Numbers read back exactly as written: pandas 3 does so by default, pandas 2 when asked.
_EXACT = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


class ReportError(ValueError):
    """A results folder the report cannot be made from; the message says why."""


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
    """

    percentiles: pd.DataFrame | None = None
    villages: pd.DataFrame | None = None
    daily: pd.DataFrame | None = None
    places: pd.DataFrame | None = None
    services: pd.DataFrame | None = None


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
        """Replications per scenario, as the manifest says."""
        value = self.manifest.get("replications")
        return value if isinstance(value, int) else None

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

    def label(self, name: str) -> str:
        """How a name is shown in figures: a sweep point with its values."""
        values = self.point_values(name)
        if not values:
            return name
        short = ", ".join(f"{path.rsplit('.', 1)[-1]}={value}" for path, value in values.items())
        return f"{name} ({short})"


# --------------------------------------------------------------------------- reading


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ReportError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path} is not a ruralsim manifest (not a JSON object)")
    return data


def read_csv(path: Path, columns: Sequence[str], numeric: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV table the report needs, checking its columns and numbers.

    Parameters
    ----------
    path : Path
        The file.
    columns : sequence of str
        Columns it must have.
    numeric : sequence of str
        Columns that must hold numbers (empty cells are allowed).

    Returns
    -------
    DataFrame
        The table; numbers read exactly as written (round trip).

    Raises
    ------
    ReportError
        If the file is missing, is not a CSV table, or lacks a column or a number.
    """
    if not path.is_file():
        raise ReportError(f"{path} is missing")
    try:
        frame = pd.read_csv(path, **_EXACT)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportError(f"{path} is not a readable CSV table ({reason})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"{path} lacks column(s) {', '.join(missing)}; is it damaged?")
    return _numbers(path, frame, numeric)


def _numbers(path: Path, frame: pd.DataFrame, numeric: Sequence[str]) -> pd.DataFrame:
    for column in numeric:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise ReportError(
                f"{path}: column {column} holds {frame[column].iloc[row]!r} in data row "
                f"{row + 1}, not a number"
            )
        frame[column] = values.astype(float)
    return frame


def _check_long_table(path: Path, table: pd.DataFrame, names: list[str]) -> None:
    if table.empty:
        raise ReportError(f"{path} has no rows")
    kpis = list(dict.fromkeys(table["kpi"]))
    for name in names:
        found = table.loc[table["scenario"] == name, "kpi"].tolist()
        if found != kpis:
            raise ReportError(f"{path}: scenario {name} does not have the same KPIs as the others")
    missing = [k for k in HEADLINE_KPIS if k not in kpis]
    if missing:
        raise ReportError(f"{path} lacks the headline KPI(s) {', '.join(missing)}")


def _arm_folder(folder: Path, *parts: str) -> Path | None:
    """An arm's folder inside the results folder, or None for a name that cannot be one."""
    if not all(_FOLDER_NAME.fullmatch(part) for part in parts):
        return None
    return folder.joinpath(*parts)


def _read_details(folder: Path | None) -> Details | None:
    """A scenario's detail tables, or None when the folder has none (or not all)."""
    if folder is None:
        return None
    where = folder / "details"
    if not all((where / name).is_file() for name in DETAIL_FILES.values()):
        return None
    tables = {
        key: read_csv(where / name, _DETAIL_COLUMNS[key], _NUMERIC[key])
        for key, name in DETAIL_FILES.items()
    }
    daily = tables["daily"]
    measured = daily["measured"].astype(str).str.lower()
    if not measured.isin(["true", "false"]).all():
        raise ReportError(f"{where / DETAIL_FILES['daily']}: column measured is not True/False")
    daily["measured"] = measured == "true"
    tables["villages"]["lead_time_mean_h"] = pd.to_numeric(
        tables["villages"]["lead_time_mean_h"], errors="coerce"
    )
    return Details(**tables)


def _attach_details(results: Results, name: str, folder: Path | None) -> None:
    """Add a scenario's detail tables, or note that it has none."""
    details = _read_details(folder)
    if details is None:
        results.missing_details.append(name)
    else:
        results.details[name] = details


def _read_kpis(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    frame = read_csv(path, ("replication", *HEADLINE_KPIS))
    return _numbers(path, frame, list(frame.columns))


def _status(manifest: dict, path: Path, what: str) -> None:
    status = manifest.get("status")
    if status != "complete":
        raise ReportError(
            f"{path.parent}: the {what} is not complete (status: {status}); finish it "
            f"(run the same command with --resume) before making a report"
        )


def _resolved(manifest: dict) -> dict[str, dict]:
    found = {}
    for arm in manifest.get("arms", []):
        if isinstance(arm, dict) and isinstance(arm.get("scenario"), dict):
            found[str(arm.get("label"))] = arm["scenario"]
    return found


def _load_compare(folder: Path, manifest: dict) -> Results:
    _status(manifest, folder / MANIFEST, "comparison")
    path = folder / "comparison.csv"
    numeric = [c for c in COMPARISON_COLUMNS if c not in ("scenario", "kpi")]
    table = read_csv(path, COMPARISON_COLUMNS, numeric)
    table["scenario"] = table["scenario"].astype(str)
    names = list(dict.fromkeys(table["scenario"]))
    listed = [str(s.get("name")) for s in manifest.get("scenarios", []) if isinstance(s, dict)]
    if listed and listed != names:
        raise ReportError(
            f"{path} and {folder / MANIFEST} name different scenarios "
            f"({', '.join(names)} / {', '.join(listed)})"
        )
    _check_long_table(path, table, names)
    results = Results(folder, "compare", manifest, names, table[list(COMPARISON_COLUMNS)])
    results.scenarios = _resolved(manifest)
    for name in names:
        arm = _arm_folder(folder, name)
        kpis = None if arm is None else _read_kpis(arm / "kpis.csv")
        if kpis is not None:
            results.kpis[name] = kpis
        _attach_details(results, name, arm)
    return results


def _load_sweep(folder: Path, manifest: dict) -> Results:
    _status(manifest, folder / MANIFEST, "sweep")
    varied = [str(p) for p in manifest.get("varied_paths", [])]
    points = [p for p in manifest.get("points", []) if isinstance(p, dict) and "point" in p]
    if not varied or not points:
        raise ReportError(f"{folder / MANIFEST} does not list the sweep's varied paths and points")
    names = [str(p["point"]) for p in points]
    path = folder / "sweep.csv"
    sweep = read_csv(path, (*varied, *SUMMARY_COLUMNS), ("mean", "ci_low", "ci_high", "n"))
    if len(sweep) % len(names):
        raise ReportError(f"{path} has {len(sweep)} rows, not a whole number per point")
    per_point = len(sweep) // len(names)
    table = sweep[["kpi", "mean", "ci_low", "ci_high"]].copy()
    table.insert(0, "scenario", [name for name in names for _ in range(per_point)])
    for column in ("diff", "diff_ci_low", "diff_ci_high", "p_value"):
        table[column] = math.nan
    _check_long_table(path, table, names)
    results = Results(folder, "sweep", manifest, names, table, sweep=sweep, varied=varied)
    results.scenarios = _resolved(manifest)
    for name in names:
        _attach_details(results, name, _arm_folder(folder, "points", name))
    return results


def _load_run(folder: Path, manifest: dict) -> Results:
    name = str(manifest.get("scenario_name"))
    path = folder / "kpis.csv"
    kpis = _read_kpis(path)
    if kpis is None:
        raise ReportError(f"{path} is missing")
    if kpis.empty:
        raise ReportError(f"{path} has no rows")
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
    ReportError
        If it is not a results folder, is unfinished, or a table is missing or damaged.
    """
    folder = Path(folder)
    if not folder.exists():
        raise ReportError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ReportError(f"{folder} is not a folder; give a results folder of ruralsim")
    if not (folder / MANIFEST).is_file():
        raise ReportError(
            f"{folder} is not a ruralsim results folder (no {MANIFEST}); give the folder "
            "that ruralsim compare, sweep or run wrote"
        )
    manifest = _read_json(folder / MANIFEST)
    kind = manifest.get("kind")
    if kind == "compare":
        return _load_compare(folder, manifest)
    if kind == "sweep":
        return _load_sweep(folder, manifest)
    if kind is None and "scenario_name" in manifest:
        return _load_run(folder, manifest)
    raise ReportError(f"{folder / MANIFEST} does not describe a compare, sweep or run result")
