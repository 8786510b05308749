"""Scenarios: the schema, safe YAML loading with ``extends`` and ``--set``, error messages."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from sim.scenario.errors import ScenarioError
from sim.scenario.loader import apply_overrides, resolve_extends, validate
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario"]


def load_scenario(path: str | os.PathLike, overrides: Iterable[str] = ()) -> Scenario:
    """Load a scenario file: resolve ``extends``, apply ``--set`` overrides, validate.

    Parameters
    ----------
    path : the YAML scenario file
    overrides : ``"a.b=value"`` strings, applied in order over the file

    Raises
    ------
    ScenarioError
        Naming the file, the YAML path, what was given and what is allowed.
    """
    data, origins = resolve_extends(path)
    data = apply_overrides(data, list(overrides), origins)
    network = data.get("network")
    if isinstance(network, dict) and isinstance(network.get("csv_path"), str):
        # A CSV path is relative to the file that names it, not to the working directory.
        named_in = origins.get("network.csv_path", os.fspath(path))
        if named_in != "--set" and not os.path.isabs(network["csv_path"]):
            network["csv_path"] = str(Path(named_in).parent / network["csv_path"])
    return validate(Scenario, data, origins, default_file=os.fspath(path))
