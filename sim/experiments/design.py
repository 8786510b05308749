"""Sweep designs: ``--vary PATH=V1,V2,…`` factors, explicit points, and sweep YAML files.

A sweep file names a base scenario (relative to the sweep file), optional
overrides applied to every point, factors crossed in a full factorial, and
optional explicit points added after the factorial ones::

    scenario: ../scenarios/leiyang_via_township.yaml
    set:                                  # optional, applied to every point
      horizon.days: 7
    factors:                              # full factorial, last factor fastest
      hub.sorting.rate_per_h: [4000, 8000]
      fleets.township_van.capacity_parcels: [60, 120]
    points:                               # optional extra points
      - {hub.sorting.rate_per_h: 2000, fleets.township_van.capacity_parcels: 30}

Every point must give a value for every varied path, and no point may repeat
another. Values are YAML, read exactly like ``--set`` values.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.experiments.errors import ExperimentError
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.loader import apply_overrides, read_yaml, validate
from sim.scenario.schema import Scenario


class SweepDesign(BaseModel):
    """A sweep file, validated.

    Attributes
    ----------
    scenario : str
        Base scenario file, relative to the sweep file (absolute once loaded).
    overrides : dict
        ``set:`` in YAML: path -> value, applied to every point before its own values.
    factors : dict
        Path -> list of values, crossed in a full factorial.
    points : list of dict
        Explicit points (path -> value), run after the factorial ones.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    scenario: str = Field(min_length=1)
    overrides: dict[str, Any] = Field(default_factory=dict, alias="set")
    factors: dict[str, list[Any]] = Field(default_factory=dict)
    points: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_to_vary(self) -> SweepDesign:
        if not self.factors and not self.points:
            raise ValueError("a sweep needs factors, points or both")
        for path, values in self.factors.items():
            if not values:
                raise ValueError(f"factor {path} has no values")
        return self


def load_design(path: str | os.PathLike) -> SweepDesign:
    """Read and validate a sweep YAML file.

    Parameters
    ----------
    path : str or os.PathLike
        The sweep file.

    Returns
    -------
    SweepDesign
        With ``scenario`` resolved relative to the sweep file.

    Raises
    ------
    ScenarioError
        Naming the file and the YAML path of each problem.
    """
    file = os.fspath(path)
    design = validate(SweepDesign, read_yaml(file), default_file=file)
    base = Path(design.scenario)
    if not base.is_absolute():
        base = Path(file).parent / base
    return design.model_copy(update={"scenario": str(base)})


def yaml_text(value: Any) -> str:
    """A value as YAML text that ``--set`` reads back as the same value."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=2**30)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")].rstrip()
    return text


def _read_value(path: str, text: str, what: str) -> Any:
    try:
        found = apply_overrides({}, [f"value={text}"])
    except ScenarioError as exc:
        raise ExperimentError(f"{what} {path}: cannot read {text!r}: {exc.message}") from None
    return found["value"]


def parse_vary(item: str) -> tuple[str, list[Any]]:
    """Parse ``--vary PATH=V1,V2,…``.

    The values are read as a YAML flow sequence, so ``4000,8000`` are numbers,
    ``direct,via_township`` strings, ``"a,b"`` one string and ``[1,2],[3]`` two lists.

    Parameters
    ----------
    item : str
        The argument.

    Returns
    -------
    tuple
        The dotted path and its values.

    Raises
    ------
    ExperimentError
        For a missing ``=``, an empty path or no values, or unreadable YAML.
    """
    path, sep, raw = item.partition("=")
    path = path.strip()
    if not sep or not path or not all(part.strip() for part in path.split(".")):
        raise ExperimentError(
            f"--vary expects PATH=V1,V2,… such as hub.sorting.rate_per_h=4000,8000 "
            f"(given: {item!r})"
        )
    values = _read_value(path, f"[{raw}]", "--vary")
    if not values:
        raise ExperimentError(f"--vary {path}: no values given")
    return path, values


def _canonical(values: Mapping[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, default=str)


def expand_points(
    factors: Mapping[str, Sequence[Any]], points: Sequence[Mapping[str, Any]] = ()
) -> tuple[list[str], list[dict[str, Any]]]:
    """The sweep's points: the full factorial of ``factors``, then ``points``.

    Parameters
    ----------
    factors : mapping of str to sequence
        Path -> values; the last path varies fastest.
    points : sequence of mapping, optional
        Explicit points, each giving a value for every varied path.

    Returns
    -------
    tuple
        The varied paths and the points (path -> value), in run order.

    Raises
    ------
    ExperimentError
        If nothing is varied, a point misses or adds a path, or a point repeats.
    """
    paths = list(factors) or (list(points[0]) if points else [])
    if not paths:
        raise ExperimentError("a sweep needs at least one varied path")
    expanded = [
        dict(zip(paths, combo, strict=True))
        for combo in (itertools.product(*factors.values()) if factors else ())
    ]
    for number, point in enumerate(points):
        if set(point) != set(paths):
            raise ExperimentError(
                f"point {number + 1} sets {', '.join(sorted(point)) or 'nothing'}; every point "
                f"must set exactly the varied paths {', '.join(paths)}"
            )
        expanded.append({path: point[path] for path in paths})
    seen: dict[str, int] = {}
    for number, point in enumerate(expanded):
        key = _canonical(point)
        if key in seen:
            raise ExperimentError(
                f"sweep point {number + 1} ({describe(point)}) repeats point {seen[key] + 1}"
            )
        seen[key] = number
    return paths, expanded


def describe(point: Mapping[str, Any]) -> str:
    """``path=value, …`` for messages."""
    return ", ".join(f"{path}={yaml_text(value)}" for path, value in point.items())


def override_strings(values: Mapping[str, Any], what: str = "--vary") -> list[str]:
    """``PATH=VALUE`` strings for ``load_scenario`` that give exactly these values."""
    strings = []
    for path, value in values.items():
        text = yaml_text(value)
        if _read_value(path, text, what) != value:
            raise ExperimentError(f"{what} {path}: cannot pass the value {value!r} as YAML")
        strings.append(f"{path}={text}")
    return strings


def scenario_with(
    base: Scenario | str | os.PathLike, overrides: Sequence[str], values: Mapping[str, Any]
) -> Scenario:
    """The base scenario with ``overrides`` and then the point's ``values`` applied.

    Parameters
    ----------
    base : Scenario, str or os.PathLike
        A scenario file, or an already loaded scenario.
    overrides : sequence of str
        ``PATH=VALUE`` strings applied first.
    values : mapping
        The point: path -> value.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        If the result is not a valid scenario.
    """
    changes = [*overrides, *override_strings(values)]
    return load_scenario(base, changes, overrides_from="--vary")
