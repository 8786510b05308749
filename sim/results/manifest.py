"""The manifest: what a results folder holds and exactly how it was made.

One typed model for every kind of folder. Writers build a :class:`Manifest` (so a
field of the wrong type fails where it is written, not in a reader months later) and
readers validate what they find against the same model, so both sides share one
definition of the format.

Kinds
-----
``run``
    Replications of one scenario: ``kpis.csv``, ``details/`` and (while it can be
    resumed) ``replications/``. Each scenario's folder inside a comparison is a
    complete ``run`` folder too.
``compare``
    Several scenarios with common random numbers: ``comparison.csv`` and one ``run``
    folder per scenario.
``sweep``
    One scenario at many points of its parameters: ``sweep.csv``, ``kpis.csv`` (every
    replication of every point) and ``points/pNNN/``.
``region``
    Independent counties, each with its own seed (``arms[k].seed``): ``kpis.csv`` (the
    region's KPIs merged exactly, one row per replication), ``counties.csv`` and one
    complete ``run`` folder per county (see ``docs/region.md``).

``status`` is ``running`` while replications are added, then ``complete``,
``interrupted`` or ``failed``; only a complete folder is read for a report.
Folders written before manifests had a ``kind`` (a run's) are read as runs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from sim.results.files import MANIFEST, write_json

Kind = Literal["run", "compare", "sweep", "region"]
Status = Literal["running", "complete", "interrupted", "failed"]

Count = Annotated[StrictInt, Field(ge=0)]
Text = str | None


class ManifestError(ValueError):
    """A manifest that is not one ruralsim writes; the message names the field."""


class _Part(BaseModel):
    # Extra fields are kept: a newer ruralsim may add some, and a report can still be made.
    model_config = ConfigDict(extra="allow", frozen=True)


class ArmRecord(_Part):
    """One scenario of the folder: where its records are and exactly what it was."""

    key: str
    label: str
    fingerprint: str
    inputs: dict[str, str] | None = None
    finished_replications: Count = 0
    scenario: dict[str, Any]


class ScenarioEntry(_Part):
    """A compared scenario: its name and the file it came from."""

    name: str
    file: Text = None


class Point(_Part):
    """A sweep point: its name (its folder) and its values of the varied paths."""

    point: str
    values: dict[str, Any] = {}


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class Manifest(_Part):
    """``manifest.json`` of a results folder (see the module's docstring)."""

    kind: Kind
    status: Status = "complete"
    package_version: Text = None
    seed: Count
    replications: Annotated[StrictInt, Field(ge=1)] | Literal["auto"]
    replication_seeds: Text = None
    overrides: list[str] = []
    focus_kpis: list[str] = []
    confidence_level: Annotated[float, Field(gt=0, lt=1)] = 0.95
    versions: dict[str, str] = {}
    command: Text = None
    executor: Text = None
    started_at: Text = None
    wall_seconds: Annotated[float, Field(ge=0)] | None = None
    replications_rule: dict[str, Any] = {}
    reused_replications: Count = 0
    files: list[str] = []
    arms: list[ArmRecord] = []
    # compare
    scenarios: list[ScenarioEntry] = []
    comparison: Text = None
    # sweep
    scenario_file: Text = None
    design_file: Text = None
    varied_paths: list[str] = []
    points: list[Point] = []
    # run
    scenario_name: Text = None
    scenario: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_run(cls, data: Any) -> Any:
        # A run's manifest had no kind before runs became one-arm experiments.
        if isinstance(data, dict) and "kind" not in data and "scenario_name" in data:
            return {"kind": "run", **data}
        return data

    @model_validator(mode="after")
    def _kind_fields(self) -> Manifest:
        if self.wall_seconds is not None:
            _finite(self.wall_seconds)
        if self.kind == "sweep" and not (self.varied_paths and self.points):
            raise ValueError("a sweep names its varied_paths and its points")
        if self.kind == "run" and not (self.scenario_name or len(self.arms) == 1):
            raise ValueError("a run names its scenario (scenario_name)")
        if self.status == "complete" and self.replications == "auto":
            raise ValueError("a complete experiment says how many replications it took")
        return self

    @property
    def name(self) -> str | None:
        """A run's scenario name."""
        if self.scenario_name:
            return self.scenario_name
        return self.arms[0].label if self.kind == "run" and self.arms else None

    def write(self, folder: Path) -> None:
        """Write ``folder/manifest.json`` atomically."""
        write_json(Path(folder) / MANIFEST, self.model_dump(mode="json", exclude_none=True))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_manifest(data: Any, path: Path) -> Manifest:
    """``data`` (a parsed ``manifest.json``) as a :class:`Manifest`.

    Raises
    ------
    ManifestError
        ``PATH: field 'replications' is 'three'; expected ...``, for the first problem.
    """
    if not isinstance(data, dict):
        raise ManifestError(f"{path} is not a JSON object; is it damaged?")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        field = field.split(".")[0] if field else ""
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            raise ManifestError(f"{path}: field {field!r} is missing; is it damaged?") from None
        if not field:  # a rule across fields
            raise ManifestError(f"{path}: {message}; is it damaged?") from None
        given = data.get(field)
        raise ManifestError(
            f"{path}: field {field!r} is {_shown(given)}; expected {_expected(field, message)}"
        ) from None


_EXPECTED = {
    "replications": "a whole number of at least 1",
    "seed": "a whole number of at least 0",
    "overrides": "a list of PATH=VALUE texts",
    "focus_kpis": "a list of KPI names",
    "arms": "a list of the experiment's scenarios",
    "varied_paths": "a list of scenario paths",
    "points": 'a list of {"point": NAME, "values": {...}}',
    "scenario_name": "the scenario's name",
    "confidence_level": "a number in (0, 1)",
    "wall_seconds": "a number of seconds",
}


def _expected(field: str, message: str) -> str:
    return _EXPECTED.get(field, message)


def read_manifest(folder: Path) -> Manifest:
    """Read and check ``folder/manifest.json``.

    Raises
    ------
    ManifestError
        If it cannot be read, is not JSON, or is not a manifest ruralsim writes.
    """
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise ManifestError(f"{path} cannot be read ({exc})") from None
    return check_manifest(data, path)
