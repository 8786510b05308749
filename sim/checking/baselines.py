"""Baseline files: one scenario's KPIs over its replications, as JSON, read strictly.

A file that ruralsim would not have written (NaN, deep nesting, wrong types, a
fingerprint or overrides that contradict the scenario it records) is refused, so a
damaged file cannot switch a check off.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.analysis.regression import (
    CI_LEVEL,
    finite_values,
)
from sim.analysis.stats import t_interval
from sim.checking.errors import BaselineError, CheckError
from sim.experiments.replications import MAX_SEED
from sim.results import nan_to_null, write_json

FORMAT = "ruralsim-baseline"
"""Value of the ``format`` field of every baseline file."""
FORMAT_VERSION = 1
"""Baseline file format this version writes and reads."""
MAX_BASELINE_BYTES = 32 * 2**20
"""Largest baseline file read (a real one is a few tens of kilobytes)."""
MAX_BASELINE_DEPTH = 32
"""Deepest nesting of lists and mappings read from a baseline file (a real one: about 6)."""
MAX_BASELINE_REPLICATIONS = 10_000
"""Most replications a baseline may hold (a check reruns as many)."""


# --------------------------------------------------------------------------- baseline files


class _NotFinite:
    """Stands for NaN, Infinity or an overflowing number while a baseline file is parsed."""

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_float(text: str) -> float | _NotFinite:
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)  # 1e999 reads as inf


def _structure_problem(data: Any) -> str | None:
    """The first too-deep or non-finite value, as ``where: what`` (None if all is well).

    Walked with an explicit stack: a file nested thousands deep must not overflow
    Python's.
    """
    stack: list[tuple[Any, tuple, int]] = [(data, (), 0)]
    while stack:
        value, where, depth = stack.pop()
        place = ".".join(map(str, where)) or "the top level"
        if isinstance(value, _NotFinite):
            return (
                f"{place}: {value.text} is not a number a baseline may hold (every number "
                "must be finite; a missing value is null)"
            )
        if isinstance(value, dict | list):
            if depth >= MAX_BASELINE_DEPTH:
                return f"{place}: nested more than {MAX_BASELINE_DEPTH} levels deep"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack += reversed([(item, (*where, key), depth + 1) for key, item in items])
    return None


class KpiRecord(BaseModel):
    """One KPI in a baseline file: every replication's value and a summary for people.

    Attributes
    ----------
    values : list of float or None
        One value per replication, in replication order (None: no value, e.g. no
        parcel delivered). The check uses these.
    mean, std, ci_low, ci_high : float or None
        Mean, sample standard deviation and 95% Student-t interval over the finite values.
    n : int
        Finite values.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    values: list[float | None]
    mean: float | None
    std: float | None
    n: int = Field(ge=0)
    ci_low: float | None
    ci_high: float | None

    @model_validator(mode="after")
    def _count(self) -> KpiRecord:
        found = sum(value is not None for value in self.values)
        if self.n != found:
            raise ValueError(f"n is {self.n}, but values holds {found} numbers")
        return self


class Baseline(BaseModel):
    """A baseline file, validated (see :func:`read_baseline`).

    Attributes
    ----------
    format : str
        Always ``"ruralsim-baseline"``.
    format_version : int
        :data:`FORMAT_VERSION`.
    scenario_name : str
        The scenario's ``name`` (the file is ``<name>.json``).
    scenario_file : str or None
        The scenario file as given when the baseline was made.
    fingerprint : str
        :func:`sim.experiments.folder.fingerprint` of the scenario: its resolved
        form and every file it reads (baselines made before ruralsim recorded the
        files: the SHA-256 of the resolved scenario alone).
    inputs : dict of str to str or None
        Every file the scenario read -> SHA-256 of its bytes (None in a baseline
        made before ruralsim recorded them).
    overrides : list of str
        ``--set`` overrides used.
    seed : int
        Root seed; replication *r* used child *r* of ``SeedSequence(seed)``.
    replications : int
        How many (at least 2).
    package_version : str
        The ruralsim version that made it.
    created_at : str
        When (ISO 8601, UTC).
    kpis : dict of str to KpiRecord
        Every KPI's values and summary.
    scenario : dict
        The fully resolved scenario.
    """

    # Strict: a JSON file has real types, so "3", 3.0 and true are not a seed.
    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    format: Literal["ruralsim-baseline"]
    format_version: int
    scenario_name: str
    scenario_file: str | None = None
    fingerprint: str
    inputs: dict[str, str] | None = None
    overrides: list[str]
    seed: int = Field(ge=0, le=MAX_SEED)
    replications: int = Field(ge=2, le=MAX_BASELINE_REPLICATIONS)
    package_version: str
    created_at: str
    kpis: dict[str, KpiRecord]
    scenario: dict[str, Any]

    @model_validator(mode="after")
    def _lengths(self) -> Baseline:
        for name, record in self.kpis.items():
            if len(record.values) != self.replications:
                raise ValueError(
                    f"kpis.{name}.values has {len(record.values)} values, "
                    f"but replications is {self.replications}"
                )
        return self

    def values(self) -> dict[str, list[float | None]]:
        """KPI -> the replication values."""
        return {name: list(record.values) for name, record in self.kpis.items()}


def _number(value: float) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    return None if math.isinf(value) else nan_to_null(value)  # a baseline holds no infinity


def baseline_record(
    *,
    scenario_name: str,
    scenario: Mapping[str, Any],
    fingerprint: str,
    overrides: Sequence[str],
    seed: int,
    table: pd.DataFrame,
    inputs: Mapping[str, str] | None = None,
    package_version: str,
    created_at: str,
    scenario_file: str | None = None,
    versions: Mapping[str, str] | None = None,
    command: str | None = None,
) -> dict:
    """The content of a baseline file (a JSON-ready dict).

    Parameters
    ----------
    scenario_name : str
        The scenario's name.
    scenario : mapping
        The fully resolved scenario (``Scenario.model_dump(mode="json")``).
    fingerprint : str
        Its fingerprint (:func:`sim.experiments.folder.fingerprint`).
    overrides : sequence of str
        ``--set`` overrides used.
    seed : int
        Root seed.
    table : DataFrame
        KPI table, one row per replication (``replication``, ``seed``, KPIs), at
        least two rows.
    inputs : mapping of str to str, optional
        The files the scenario read and their SHA-256 (``Fingerprint.inputs``).
    package_version : str
        ruralsim version.
    created_at : str
        ISO 8601 time.
    scenario_file : str, optional
        The scenario file as given.
    versions : mapping, optional
        Python and dependency versions, for the record.
    command : str, optional
        The command line, for the record.

    Returns
    -------
    dict
        Fields of :class:`Baseline` (plus ``versions``, ``command``, ``seeding``,
        ``confidence_level``), the resolved scenario last.
    """
    if len(table) < 2:
        raise CheckError(f"a baseline needs at least 2 replications, got {len(table)}")
    kpis = {}
    for name in (c for c in table.columns if c not in ("replication", "seed")):
        values = [_number(v) for v in table[name].tolist()]
        finite = finite_values(values)
        mean, low, high = t_interval(finite, CI_LEVEL)
        kpis[name] = {
            "values": values,
            "mean": _number(mean),
            "std": _number(finite.std(ddof=1)) if finite.size >= 2 else None,
            "n": int(finite.size),
            "ci_low": _number(low),
            "ci_high": _number(high),
        }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scenario_name": scenario_name,
        "scenario_file": scenario_file,
        "fingerprint": fingerprint,
        "inputs": None if inputs is None else dict(inputs),
        "overrides": list(overrides),
        "seed": int(seed),
        "replications": len(table),
        "seeding": "replication r uses child r of numpy SeedSequence(seed)",
        "package_version": package_version,
        "versions": dict(versions or {}),
        "command": command,
        "created_at": created_at,
        "confidence_level": CI_LEVEL,
        "kpis": kpis,
        "scenario": dict(scenario),
    }


def write_baseline(path: str | Path, record: Mapping[str, Any]) -> None:
    """Write a baseline file atomically (readers see the old file or the new one).

    Parameters
    ----------
    path : str or Path
        ``DIR/<scenario name>.json``.
    record : mapping
        From :func:`baseline_record`.
    """
    Baseline.model_validate(record)  # never write what could not be read back
    write_json(Path(path), dict(record))


def read_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    Baseline
        The validated content.

    Raises
    ------
    BaselineError
        Naming the file and what is wrong: missing, unreadable, not JSON, not a
        baseline, a format version this ruralsim cannot read, or invalid fields.
    """
    path = Path(path)
    try:
        if not path.exists():
            raise BaselineError(f"{path}: no such baseline file")
        if path.is_dir():
            raise BaselineError(f"{path}: is a folder, not a baseline file")
        size = path.stat().st_size
        if size > MAX_BASELINE_BYTES:
            raise BaselineError(
                f"{path}: {size:,} bytes is too large for a baseline file "
                f"(at most {MAX_BASELINE_BYTES:,})"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: not a text file (not UTF-8)") from None
    try:
        data = json.loads(text, parse_constant=_NotFinite, parse_float=_parse_float)
    except ValueError as exc:
        raise BaselineError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise BaselineError(
            f"{path}: nested too deeply to read (at most {MAX_BASELINE_DEPTH} levels)"
        ) from None
    problem = _structure_problem(data)
    if problem is not None:
        raise BaselineError(f"{path}: {problem}")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BaselineError(f'{path}: not a ruralsim baseline file (no "format": "{FORMAT}")')
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise BaselineError(
            f"{path}: baseline format version {version!r}; this ruralsim reads version "
            f"{FORMAT_VERSION}"
        )
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:3]:
            where = ".".join(str(part) for part in error["loc"])
            message = error["msg"].removeprefix("Value error, ")  # ours, already worded
            problems.append(f"{where}: {message}" if where else message)
        more = exc.error_count() - len(problems)
        extra = f" and {more} more" if more > 0 else ""
        raise BaselineError(
            f"{path}: invalid baseline file ({'; '.join(problems)}{extra})"
        ) from None
