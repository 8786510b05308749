"""The results folder of a run, compare or sweep while it is being made.

Layout (every file written atomically, so the folder is consistent at any moment;
the manifest's format is :mod:`sim.results.manifest`)::

    DIR/manifest.json                       the whole experiment; "status" is running,
                                            interrupted, failed or complete
    DIR/<arm>/replications/r0007.json       one finished replication (its KPI row and
                                            its detail tables)
    DIR/<arm>/kpis.csv, DIR/<arm>/manifest.json     written when the experiment completes
    DIR/<arm>/details/*.csv                 the detail tables of every replication, and
                                            the network (written when it completes)
    DIR/comparison.csv or DIR/sweep.csv     written when the experiment completes

An *arm* is one scenario of a comparison (folder: its name), one point of a
sweep (folder ``points/p000``) or the one scenario of a run (the folder itself).
A compare or sweep is built in place, so that it can be resumed; a run is built
whole in a temporary sibling and moved into place when it completes, so an
interrupted run leaves the previous results as they were.

A replication record names the fingerprint of its arm (:func:`fingerprint`: the
resolved scenario and every file it reads) and the seed, so a record can never be
mistaken for another scenario's.

``--resume`` reuses the records only if the folder's manifest describes the same
experiment: the same kind, arms, fingerprints, seed and ruralsim version.
Without ``--resume`` an existing results folder is started afresh; a folder that
is not a results folder is never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.model import named_plans, plan_for
from sim.experiments.errors import ExperimentError
from sim.experiments.tasks import (
    DETAIL_TABLES,
    OPTIONAL_TABLES,
    SCENARIO_DETAIL_TABLES,
    gather_details,
)
from sim.results import (
    MANIFEST,
    nan_to_null,
    null_to_nan,
    package_version,
    results_folder,
    row_from_json,
    row_to_json,
    write_json,
    write_text_atomic,
)
from sim.results.manifest import Manifest
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import resolve_extends
from sim.scenario.schema import Scenario

DETAILS = "details"
"""Folder of an arm's detail tables (``DIR/<arm>/details``)."""


def _sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Fingerprint:
    """What a scenario's results depend on, hashed (see :func:`fingerprint`).

    Attributes
    ----------
    sha256 : str
        SHA-256 of the canonical JSON of ``{"scenario": resolved scenario,
        "inputs": inputs}``: the same fingerprint, seed and ruralsim give the same
        results.
    scenario : str
        SHA-256 of the canonical JSON of the resolved scenario alone (what baselines
        and results folders of earlier ruralsim versions stored as their fingerprint).
    inputs : dict of str to str
        Every file the scenario reads -> SHA-256 of its bytes. Files are named
        relative to the scenario file's folder (so the names do not depend on the
        working directory); without a scenario file, as the scenario names them.
    """

    sha256: str
    scenario: str
    inputs: dict[str, str] = field(default_factory=dict)


def _input_files(scenario: Scenario, file: str | os.PathLike | None) -> dict[str, str]:
    """Every file the scenario reads: its name (see :class:`Fingerprint`) -> its path."""
    paths: list[str] = []
    if file is not None:
        _, origins = resolve_extends(file)  # the extends chain, as the loader reads it
        paths += [os.fspath(file), *origins.values()]
    network = scenario.network
    if network.source == "csv" and network.csv_path is not None:
        paths.append(os.fspath(network.csv_path))  # resolved by the loader already
    folder = os.path.dirname(os.path.abspath(file)) if file is not None else None
    named = {}
    for path in dict.fromkeys(paths):
        name = path
        if folder is not None:
            try:
                name = Path(os.path.relpath(os.path.abspath(path), folder)).as_posix()
            except ValueError:  # another drive (Windows): keep the path as given
                pass
        named[name] = path
    return named


def fingerprint(scenario: Scenario, file: str | os.PathLike | None = None) -> Fingerprint:
    """Fingerprint of everything a scenario's results depend on.

    The resolved scenario (canonical JSON) and the bytes of every file it reads:
    the scenario file and each file of its ``extends`` chain that sets a value
    (one that only forwards ``extends``, or whose every value is set again
    further down, cannot change the results), and the places CSV of a
    ``network.source: csv`` scenario. Editing any of them changes the
    fingerprint — even a comment: the file is no longer the one the results came
    from — so ``--resume`` and ``ruralsim check`` notice, and
    :func:`changed_inputs` can say which file changed.

    Parameters
    ----------
    scenario : Scenario
        The fully resolved scenario (overrides applied).
    file : path, optional
        The scenario file it was loaded from; None for a scenario built in memory
        (then only the places CSV, if any, is read).

    Returns
    -------
    Fingerprint
        The fingerprint, the resolved scenario's own hash and each input's hash.

    Raises
    ------
    ScenarioError
        If an input file can no longer be read (naming it).
    """
    inputs = {}
    for name, path in _input_files(scenario, file).items():
        try:
            with open(path, "rb") as handle:
                inputs[name] = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as exc:
            raise ScenarioError(
                path, "", f"cannot read it to fingerprint it: {exc.strerror or exc}"
            ) from None
    resolved = scenario.model_dump(mode="json")
    return Fingerprint(
        recorded_fingerprint(resolved, inputs), recorded_fingerprint(resolved), inputs
    )


def recorded_fingerprint(
    resolved: Mapping[str, Any], inputs: Mapping[str, str] | None = None
) -> str:
    """The fingerprint of a resolved scenario and its inputs' hashes, as records store them.

    Lets a record (a baseline file, a manifest) be checked against itself: its
    stored fingerprint must be this of its stored scenario and inputs.

    Parameters
    ----------
    resolved : mapping
        The resolved scenario (``Scenario.model_dump(mode="json")``, or as read back
        from JSON).
    inputs : mapping of str to str, optional
        :attr:`Fingerprint.inputs`; None: the scenario's own hash
        (:attr:`Fingerprint.scenario`, what older records stored).

    Returns
    -------
    str
        A SHA-256 in hex.
    """
    scenario = _sha256(_canonical(resolved))
    if inputs is None:
        return scenario
    # The resolved scenario's hash, not the scenario itself: the same JSON, far shorter.
    return _sha256(_canonical({"scenario": scenario, "inputs": dict(inputs)}))


def changed_inputs(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """Every input file that differs between two fingerprints, as ``file NAME: what``.

    Parameters
    ----------
    old, new : mapping of str to str
        :attr:`Fingerprint.inputs` of each.

    Returns
    -------
    list of str
        Sorted by name: ``contents changed``, ``no longer read`` or ``newly read``.
    """
    changes = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            changes.append(f"file {name}: no longer read")
        elif name not in old:
            changes.append(f"file {name}: newly read")
        elif old[name] != new[name]:
            changes.append(f"file {name}: contents changed")
    return changes


@dataclass(frozen=True)
class Arm:
    """One scenario of an experiment, with the folder its records go to.

    Attributes
    ----------
    key : str
        Folder relative to the results folder (``leiyang_direct``, ``points/p003``).
    label : str
        Name in tables (the scenario name, or the point name).
    scenario : Scenario
        The fully resolved scenario.
    file : str or None
        The scenario file it was loaded from (a sweep point: the base scenario's
        file); None for a scenario built in memory.
    seed : int or None
        Its own root seed (a region's county, see :mod:`sim.experiments.region`);
        None: the experiment's seed, shared by every arm (common random numbers).
    """

    key: str
    label: str
    scenario: Scenario
    file: str | None = None
    seed: int | None = None

    @cached_property
    def fingerprint(self) -> Fingerprint:
        """Fingerprint of the scenario and the files it reads (computed once)."""
        return fingerprint(self.scenario, self.file)


def flatten(value, prefix: str = "") -> dict:
    """A nested mapping as ``{"a.b.c": leaf}``; an empty mapping stays a leaf."""
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat or {prefix: {}}
    return {prefix: value}


_ABSENT = "(absent)"


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Every dotted path where two resolved scenarios differ, as ``path: old -> new``.

    Parameters
    ----------
    old, new : mapping
        Fully resolved scenarios (``Scenario.model_dump(mode="json")``).

    Returns
    -------
    list of str
        Sorted by path; a field present on one side only shows ``(absent)``.
        Lists are compared whole.
    """
    a, b = flatten(dict(old)), flatten(dict(new))
    changes = []
    for path in sorted(a.keys() | b.keys()):
        before, after = a.get(path, _ABSENT), b.get(path, _ABSENT)
        if before != after:
            show = [value if value == _ABSENT else repr(value) for value in (before, after)]
            changes.append(f"{path}: {show[0]} -> {show[1]}")
    return changes


def changes_since(
    old_scenario: Mapping[str, Any],
    old_inputs: Mapping[str, str] | None,
    scenario: Scenario,
    now: Fingerprint,
) -> list[str]:
    """Everything that differs from a recorded scenario: fields, then input files.

    Parameters
    ----------
    old_scenario : mapping
        The resolved scenario as recorded (``Scenario.model_dump(mode="json")``).
    old_inputs : mapping of str to str, or None
        The recorded :attr:`Fingerprint.inputs`; None for a record that predates
        them (then only the fields can be compared).
    scenario : Scenario
        The scenario now.
    now : Fingerprint
        Its fingerprint.

    Returns
    -------
    list of str
        :func:`changed_fields`, then :func:`changed_inputs`.
    """
    changes = changed_fields(old_scenario, scenario.model_dump(mode="json"))
    if old_inputs is not None:
        changes += changed_inputs(old_inputs, now.inputs)
    return changes


def _first_change(previous: Mapping, scenario: Scenario, now: Fingerprint) -> str:
    """Why an arm recorded in a manifest is not ``scenario`` any more, in a few words."""
    old_inputs = previous.get("inputs")
    old_inputs = old_inputs if isinstance(old_inputs, dict) else None
    old_scenario = previous.get("scenario")
    try:
        changes = changes_since(
            old_scenario if isinstance(old_scenario, dict) else {}, old_inputs, scenario, now
        )
    except RecursionError:  # a damaged manifest; no scenario is nested this deep
        return "the scenario it records is nested too deeply to compare: a damaged manifest"
    if changes:
        return changes[0]
    if old_inputs is None:
        return (
            "the folder was made by a ruralsim that did not record the scenario's input "
            "files, so their contents cannot be compared"
        )
    return "(no visible difference)"


def _columns_to_json(tables: Mapping[str, Mapping[str, list]]) -> dict:
    return {
        name: {column: [nan_to_null(v) for v in values] for column, values in table.items()}
        for name, table in tables.items()
    }


def _columns_from_json(table: Mapping[str, list]) -> pd.DataFrame:
    return pd.DataFrame(
        {column: [null_to_nan(v) for v in values] for column, values in table.items()}
    )


class ExperimentFolder:
    """Records, manifest and tables of one run, compare or sweep.

    Parameters
    ----------
    root : Path or None
        The results folder; None keeps everything in memory (nothing is written).
    kind : str
        ``"run"``, ``"compare"``, ``"sweep"`` or ``"region"``.
    arms : list of Arm
        The scenarios, in order.
    seed : int
        Root seed shared by every arm (common random numbers).
    resume : bool
        Reuse the records of an earlier run of the same experiment.
    """

    def __init__(
        self, root: Path | None, kind: str, arms: list[Arm], seed: int, resume: bool
    ) -> None:
        self.root = None if root is None else Path(root)
        self.target = self.root
        self.kind = kind
        self.arms = arms
        self.seed = seed
        self.resume = resume
        self.records: dict[str, dict[int, dict]] = {arm.key: {} for arm in arms}
        self._fingerprints = {arm.key: arm.fingerprint for arm in arms}
        self.reused = 0

    def seed_of(self, arm: Arm, seed: int | None = None) -> int:
        """The root seed ``arm`` runs with: its own, else ``seed`` (default: the folder's)."""
        if arm.seed is not None:
            return arm.seed
        return self.seed if seed is None else seed

    # ------------------------------------------------------------------ checks

    def check(self) -> str:
        """Check the folder can be used, before anything is written.

        Returns
        -------
        str
            ``"memory"``, ``"fresh"`` (new or started afresh) or ``"resume"``.

        Raises
        ------
        ExperimentError
            If the folder is a file, holds something that is not a results folder,
            or (with ``resume``) holds a different experiment.
        """
        if self.root is None:
            if self.resume:
                raise ExperimentError("resume needs a results folder (out=...)")
            return "memory"
        root = self.root
        if root.exists() and not root.is_dir():
            raise ExperimentError(f"{root} exists and is not a folder")
        has_manifest = (root / MANIFEST).is_file()
        if root.exists() and any(root.iterdir()) and not has_manifest:
            raise ExperimentError(
                f"{root} exists and is not a ruralsim results folder (no {MANIFEST}); "
                "choose another output folder"
            )
        if not self.resume or not has_manifest:
            return "fresh"
        try:
            old = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise ExperimentError(f"cannot resume {root}: unreadable {MANIFEST} ({exc})") from None
        if not isinstance(old, dict):
            raise ExperimentError(f"cannot resume {root}: {root / MANIFEST} is damaged")
        self._check_same(old)
        return "resume"

    def _check_same(self, old: dict) -> None:
        where = f"cannot resume {self.root}"
        if old.get("kind") != self.kind:
            raise ExperimentError(
                f"{where}: it holds a {old.get('kind', 'run')} result, not a {self.kind}"
            )
        if old.get("package_version") != package_version():
            raise ExperimentError(
                f"{where}: it was made with ruralsim {old.get('package_version')}, "
                f"this is {package_version()}; results would mix versions"
            )
        if old.get("seed") != self.seed:
            raise ExperimentError(
                f"{where}: it was run with seed {old.get('seed')}, not {self.seed}"
            )
        old_arms = old.get("arms")
        if not isinstance(old_arms, list) or not all(isinstance(arm, dict) for arm in old_arms):
            raise ExperimentError(
                f"{where}: {self.root / MANIFEST} is damaged (no list of the experiment's "
                "scenarios); run without --resume to start afresh"
            )
        old_keys = [arm.get("key") for arm in old_arms]
        new_keys = [arm.key for arm in self.arms]
        if old_keys != new_keys:
            raise ExperimentError(
                f"{where}: it holds {', '.join(map(str, old_keys)) or 'nothing'}, "
                f"not {', '.join(new_keys)}"
            )
        for previous, arm in zip(old_arms, self.arms, strict=True):
            now = self._fingerprints[arm.key]
            if previous.get("fingerprint") != now.sha256:
                raise ExperimentError(
                    f"{where}: scenario {arm.label} differs from the one it was run with "
                    f"({_first_change(previous, arm.scenario, now)})"
                )

    # ------------------------------------------------------------------ writing

    @contextlib.contextmanager
    def open(self) -> Iterator[None]:
        """Where the experiment is written while the block runs.

        A run is written to a temporary sibling and moved into place when the block
        ends without an error (see :func:`sim.results.results_folder`); a compare or
        sweep is written in place, so that an interrupted one can be resumed.
        """
        if self.target is None or self.kind != "run":
            yield
            return
        with results_folder(self.target) as work:
            self.root = work
            try:
                yield
            finally:
                self.root = self.target

    def _arm_dir(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key

    def start(self, mode: str, manifest: dict) -> None:
        """Create (or clear) the folder, load reusable records, write the manifest.

        Parameters
        ----------
        mode : str
            What :meth:`check` returned.
        manifest : dict
            Manifest fields besides those this class sets.
        """
        if self.root is None:
            return
        if mode == "fresh" and self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        if mode == "resume":
            for arm in self.arms:
                self.records[arm.key] = self._load(arm.key)
            self.reused = sum(len(found) for found in self.records.values())
        self.write_manifest(manifest, status="running")

    def _load(self, key: str) -> dict[int, dict]:
        found = {}
        seed = self.seed_of(next(arm for arm in self.arms if arm.key == key))
        folder = self._arm_dir(key) / "replications"
        for path in sorted(folder.glob("r[0-9]*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                row = row_from_json(record["row"])
                good = (
                    record.get("fingerprint") == self._fingerprints[key].sha256
                    and row["seed"] == seed
                    and path.name == f"r{row['replication']:04d}.json"
                    # A region merges what each replication sent besides its row.
                    and (self.kind != "region" or isinstance(record.get("aggregates"), dict))
                )
            except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
                good = False  # unreadable or foreign: run that replication again
            if good:
                found[int(row["replication"])] = row
        return found

    def _record_path(self, key: str, replication: int) -> Path:
        return self._arm_dir(key) / "replications" / f"r{int(replication):04d}.json"

    def aggregates(self, key: str, replication: int) -> dict:
        """What a region's county replication kept on disk besides its row (resumed runs)."""
        record = json.loads(self._record_path(key, replication).read_text(encoding="utf-8"))
        return record["aggregates"]

    def save(
        self, key: str, row: dict, details: Mapping | None = None, aggregates: dict | None = None
    ) -> None:
        """Keep one finished replication.

        The KPI row is kept in memory, and with a folder on disk together with the
        replication's detail tables (which are not kept in memory).

        Parameters
        ----------
        key : str
            The arm.
        row : dict
            The replication's KPI row.
        details : mapping, optional
            Its detail tables (:func:`sim.experiments.tasks.detail_tables`).
        aggregates : dict, optional
            What a region merges (:func:`sim.analysis.region.aggregates`), kept with
            the record on disk only.
        """
        self.records[key][int(row["replication"])] = row
        if self.root is not None:
            record = {"fingerprint": self._fingerprints[key].sha256, "row": row_to_json(row)}
            if details is not None:
                record["details"] = _columns_to_json(details)
            if aggregates is not None:
                record["aggregates"] = aggregates
            write_json(self._record_path(key, row["replication"]), record)

    def write_details(self, arm: Arm, replications: int) -> list[str]:
        """Gather the detail tables of replications 0..n-1 into ``DIR/<arm>/details/``.

        Writes ``lead_time_percentiles.csv``, ``villages.csv``, ``daily.csv``,
        ``day_kinds.csv`` (ordinary and peak days apart) and ``stages.csv`` (where the
        time goes; every replication, with a ``replication`` column first),
        ``brands.csv`` for a scenario with brands, and the network:
        ``places.csv`` and ``services.csv``. Nothing is written if a replication's
        record has no detail tables (one kept by an older ruralsim).

        Parameters
        ----------
        arm : Arm
            The arm.
        replications : int
            How many replications the experiment used.

        Returns
        -------
        list of str
            The files written, relative to the results folder.
        """
        if self.root is None:
            return []
        per_replication = {}
        for replication in range(replications):
            try:
                record = json.loads(
                    self._record_path(arm.key, replication).read_text(encoding="utf-8")
                )
                details = record["details"]
                per_replication[replication] = {
                    name: _columns_from_json(details[name])
                    for name in (*DETAIL_TABLES, *SCENARIO_DETAIL_TABLES)
                    # A replication kept by an older ruralsim has no stages, one of a
                    # scenario without brands or outbound parcels not their tables.
                    if name not in OPTIONAL_TABLES or name in details
                }
            except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
                return []
        # The network is fixed by the scenario; the plan is cached (already planned).
        # A branded scenario's services are every network's, as its trip logs number them.
        networks = named_plans(arm.scenario) if arm.scenario.brands.root else None
        files = gather_details(per_replication, plan_for(arm.scenario), networks)
        written = []
        for name, frame in files.items():
            relative = (Path(arm.key) / DETAILS / f"{name}.csv").as_posix()
            write_text_atomic(self.root / relative, frame.to_csv(index=False))
            written.append(relative)
        return written

    def _arm_record(self, arm: Arm, key: str | None = None) -> dict:
        now = self._fingerprints[arm.key]
        own_seed = {} if arm.seed is None else {"seed": arm.seed}
        return {
            "key": arm.key if key is None else key,
            "label": arm.label,
            **own_seed,
            "fingerprint": now.sha256,
            "inputs": now.inputs,
            "finished_replications": len(self.records[arm.key]),
            "scenario": arm.scenario.model_dump(mode="json"),
        }

    def _identity(self, status: str, seed: int | None = None) -> dict:
        return {
            "kind": self.kind,
            "status": status,
            "seed": self.seed if seed is None else seed,
            "package_version": package_version(),
        }

    def write_manifest(self, fields: dict, status: str) -> None:
        """Write ``DIR/manifest.json`` with the experiment's identity and ``fields``."""
        if self.root is None:
            return
        arms = [self._arm_record(arm) for arm in self.arms]
        manifest = {**self._identity(status), **fields, "arms": arms}
        if self.kind == "run":
            manifest.update(self._run_fields(self.arms[0]))
        Manifest.model_validate(manifest).write(self.root)

    @staticmethod
    def _run_fields(arm: Arm) -> dict:
        # A run's manifest names its scenario at the top, as every run folder's has.
        return {
            "scenario_name": arm.label,
            "scenario_file": arm.file,
            "scenario": arm.scenario.model_dump(mode="json"),
        }

    def write_arm(self, arm: Arm, fields: dict, kpis: pd.DataFrame) -> list[str]:
        """Write an arm's ``kpis.csv`` and its own ``manifest.json`` (a complete run's).

        Each scenario's folder of a comparison is then a run folder in its own right.

        Returns
        -------
        list of str
            The files written, relative to the results folder.
        """
        if self.root is None:
            return []
        folder = self._arm_dir(arm.key)
        write_text_atomic(folder / "kpis.csv", kpis.to_csv(index=False))
        if self.kind == "run":
            return ["kpis.csv"]
        own = {
            **self._identity("complete", self.seed_of(arm)),
            **fields,
            "kind": "run",
            **self._run_fields(arm),
            "arms": [self._arm_record(arm, key="")],
        }
        Manifest.model_validate(own).write(folder)
        return [(Path(arm.key) / name).as_posix() for name in ("kpis.csv", MANIFEST)]
