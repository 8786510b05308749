"""Scenarios: the schema, safe YAML loading with ``extends`` and ``--set``, error messages."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sim.scenario.errors import ScenarioError
from sim.scenario.loader import OVERRIDE_FILE, apply_overrides, resolve, validate
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario"]


def load_scenario(
    source: str | os.PathLike | Scenario,
    overrides: Iterable[str] = (),
    *,
    overrides_from: str = OVERRIDE_FILE,
) -> Scenario:
    """The one way to a validated scenario: from a file or a ``Scenario``, plus overrides.

    A file has its ``extends`` chain resolved and its places CSV path taken relative to
    the file that names it; ``PATH=VALUE`` overrides are then applied in order and the
    result validated once. A ``Scenario`` (built in code, or a sweep's base) gets the
    overrides the same way; without overrides it is returned as it is.

    Parameters
    ----------
    source : the YAML scenario file, or a validated scenario
    overrides : ``"a.b=value"`` strings, applied in order over the source
    overrides_from : what error messages name as the overrides' origin (``--set``,
        ``--vary`` ...)

    Raises
    ------
    ScenarioError
        Naming the file, the YAML path, what was given and what is allowed.
    """
    overrides = list(overrides)
    if isinstance(source, Scenario):
        if not overrides:
            return source
        origins: dict[str, str] = {}
        data = apply_overrides(source.model_dump(mode="json"), overrides, origins)
        origins = dict.fromkeys(origins, overrides_from)
        return validate(Scenario, data, origins, default_file=overrides_from)
    data, origins = resolve(source, overrides)
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("csv_path"), str):
        # A CSV path is relative to the file that names it, not to the working directory.
        named_in = origins.get("network.csv_path", os.fspath(source))
        if named_in != OVERRIDE_FILE and not os.path.isabs(network["csv_path"]):
            network["csv_path"] = str(Path(named_in).parent / network["csv_path"])
    return validate(Scenario, data, origins, default_file=os.fspath(source))
