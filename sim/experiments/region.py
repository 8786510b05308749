"""Regions: many independent counties run as separate tasks, merged exactly.

A region file lists county scenarios, each a path relative to the region file,
optionally with overrides of its own::

    region:
      name: hengyang
      seed: 7                                  # optional root seed (default 1)
      counties:
        - leiyang_direct.yaml
        - scenario: example_county.yaml
          set: {name: changning, demand.parcels_per_capita_day: 0.05}

Counties share nothing (each its own network, hub and fleets), so every
(county, replication) is one task of the one replication loop
(:func:`sim.experiments.replications.replicator`) on any executor. Each county
*k* runs with its own root seed, :func:`county_seed` (child *k* of
``SeedSequence(seed)``), so counties are independent and the county's folder is
an ordinary run that ``ruralsim run COUNTY --seed S`` reproduces. The region's
KPIs are merged from each county's row and aggregates (:mod:`sim.analysis.region`).

Results folder (kind ``region``, written in place)::

    DIR/manifest.json            the region: counties, their seeds, status
    DIR/<county>/                a complete run folder, written as soon as the
                                 county's last replication is in
    DIR/kpis.csv                 the region's KPIs, one row per replication
    DIR/counties.csv             every county's mean KPIs (county, kpi, mean, ci, n)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, model_validator

from sim.analysis.kpis import KPI_NAMES
from sim.analysis.region import BIN_H, merge_replication
from sim.analysis.stats import summarize
from sim.experiments import core
from sim.experiments.design import override_strings
from sim.experiments.errors import ExperimentError
from sim.experiments.folder import Arm, ExperimentFolder
from sim.experiments.replications import KPI_COLUMNS, MAX_SEED, check_seed, kpi_table
from sim.network.geography import build_geography
from sim.results import write_text_atomic
from sim.runner import check_demand_fits
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.loader import OVERRIDE_FILE, read_yaml, validate
from sim.scenario.schema import Scenario, ScenarioName

COUNTY_SEEDS = (
    "county k (0-based, in the region file's order) runs with root seed "
    "SeedSequence(seed).spawn(k+1)[k].generate_state(1, uint64)[0] >> 1; its replication r "
    "uses child r of SeedSequence(county seed), as every run does"
)
AGGREGATION = (
    "sums for totals; means and shares weighted by what each county's mean divides by "
    "(sim.analysis.region.RULES); lead-time percentiles from the merged histogram of every "
    f"delivered parcel's lead time in bins of {BIN_H * 60:g} min, error at most half a bin"
)
_RESERVED = {"manifest.json", "kpis.csv", "counties.csv"}


class CountyEntry(BaseModel):
    """One county of a region file: its scenario file and overrides of its own."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    scenario: str = Field(min_length=1, description="scenario file, relative to the region file")
    overrides: dict[str, Any] = Field(default_factory=dict, alias="set")

    @model_validator(mode="before")
    @classmethod
    def _a_path_alone(cls, data: Any) -> Any:
        return {"scenario": data} if isinstance(data, str) else data


class RegionSection(BaseModel):
    """The ``region:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ScenarioName
    seed: NonNegativeInt = Field(1, le=MAX_SEED)
    counties: list[CountyEntry] = Field(min_length=1)


class RegionFile(BaseModel):
    """A region file: one ``region:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: RegionSection


@dataclass(frozen=True)
class Region:
    """A region file, loaded: its name, default seed and counties (checked, not yet planned).

    Attributes
    ----------
    name : str
        Names the region's row in tables.
    file : str or None
        The region file.
    seed : int
        Default root seed.
    counties : list of Arm
        One per county, in file order; ``key`` and ``label`` are the scenario's name.
    """

    name: str
    file: str | None
    seed: int
    counties: list[Arm]


def _resolve(region_file: str, scenario: str) -> str:
    path = Path(scenario)
    return str(path if path.is_absolute() else Path(region_file).parent / path)


def _load_county(
    region_file: str, index: int, entry: CountyEntry, overrides: Sequence[str]
) -> tuple[Scenario, str]:
    """A county's scenario with its own ``set:``, then ``overrides``; checked, not planned.

    Errors name the county's scenario file, ``REGION: region.counties.K.set`` for its
    own overrides, or ``--set`` for the command line's.
    """
    where = f"region.counties.{index}"
    file = _resolve(region_file, entry.scenario)
    if not os.path.isfile(file):
        raise ScenarioError(
            region_file,
            f"{where}.scenario",
            f"no scenario file {entry.scenario!r} (paths are relative to the region file: {file})",
        )
    try:
        county = load_scenario(file, override_strings(entry.overrides, "set"))
    except ExperimentError as exc:
        raise ScenarioError(region_file, f"{where}.set", str(exc)) from None
    except ScenarioError as exc:
        # The county's own overrides reach the loader as --set; name them as set here.
        problems = [
            (f"{region_file}: {where}.set" if origin == OVERRIDE_FILE else origin, path, text)
            for origin, path, text in exc.problems
        ]
        raise ScenarioError.from_problems(problems) from None
    try:
        # Checked but not planned: the replication loop plans the counties on the workers.
        county = load_scenario(county, overrides)
        check_demand_fits(county, build_geography(county.network))
    except ScenarioError as exc:
        raise exc.in_file(file) from None
    return county, file


def _check_names(region_file: str, counties: Sequence) -> None:
    seen: dict[str, int] = {}
    for index, (scenario, _) in enumerate(counties):
        key = scenario.name.lower()
        where = f"region.counties.{index}"
        if key in _RESERVED:
            raise ScenarioError(
                region_file,
                where,
                f"county name {scenario.name!r} is one of the region folder's own files "
                f"({', '.join(sorted(_RESERVED))}); give it another with set: {{name: ...}}",
            )
        if key in seen:
            raise ScenarioError(
                region_file,
                where,
                f"county name {scenario.name!r} repeats county {seen[key]} (its folder); "
                "give it another name with set: {name: ...}",
            )
        seen[key] = index


def load_region(path: str | os.PathLike, overrides: Sequence[str] = ()) -> Region:
    """Read a region file and load every county's scenario, checked but not yet planned.

    Planning (~2 s for a Leiyang-sized county) is left to the workers, in parallel; a
    problem it finds still names the county's file (see :func:`run_region`).

    ``overrides`` (``PATH=VALUE``, like ``--set``) apply to every county, after its own.

    Raises
    ------
    ScenarioError
        Naming the file and YAML path of each problem (a county's own problems name
        the county's scenario file, or ``REGION: region.counties.K.set``).
    """
    file = os.fspath(path)
    spec = validate(RegionFile, read_yaml(file), default_file=file).region
    counties = [
        _load_county(file, k, entry, list(overrides)) for k, entry in enumerate(spec.counties)
    ]
    _check_names(file, counties)
    arms = [
        Arm(scenario.name, scenario.name, scenario, county_file)
        for scenario, county_file in counties
    ]
    return Region(spec.name, file, spec.seed, arms)


def county_seed(seed: int, county: int) -> int:
    """The root seed of county ``county`` (0-based) of a region seeded ``seed``.

    Child ``county`` of ``SeedSequence(seed)``, turned into a plain root seed (63 bits)
    so that the county's folder is an ordinary run: ``ruralsim run`` with this seed
    gives the same numbers. Distinct children give independent streams.
    """
    child = np.random.SeedSequence(seed).spawn(county + 1)[county]
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass
class RegionResult:
    """Result of :func:`run_region`.

    Attributes
    ----------
    name : str
        The region's name.
    kpis : DataFrame
        The region's KPIs, one row per replication (``kpis.csv``).
    counties : dict of str to DataFrame
        Each county's KPI table, one row per replication.
    seeds : dict of str to int
        Each county's root seed.
    replications, seed : int
        How it was run.
    executor : str
        Where the replications ran.
    out : Path or None
        The results folder.
    """

    name: str
    kpis: pd.DataFrame
    counties: dict[str, pd.DataFrame]
    seeds: dict[str, int]
    replications: int
    seed: int
    executor: str = "serial"
    out: Path | None = None
    files: list[str] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        """The region's KPIs: mean, 95% CI and replications (``kpi, mean, ci_low, ci_high, n``)."""
        return summarize(self.kpis, list(KPI_NAMES))

    def report(self) -> str:
        """The region's KPI means and intervals for the terminal."""
        shown = core.RunResult(self.name, self.kpis, self.replications, self.seed).report()
        return f"region {self.name}: {len(self.counties)} counties\n{shown}"


class _Merger:
    """Collects each county replication's aggregates; writes each county once it is complete.

    Only the counties' KPI rows (kept by the folder), a few weights and their sparse
    lead-time histograms stay in memory; ledgers never leave the workers.
    """

    def __init__(self, folder: ExperimentFolder, replications: int, arm_fields: dict) -> None:
        self.folder, self.replications, self.arm_fields = folder, replications, arm_fields
        self.parts: dict[str, dict[int, dict]] = {arm.key: {} for arm in folder.arms}
        self.done: set[str] = set()
        self.written: list[str] = []

    def __call__(self, arm: Arm, result) -> None:
        self.parts[arm.key][int(result.row["replication"])] = result.aggregates
        if len(self.folder.records[arm.key]) == self.replications:
            self.write_county(arm)

    def write_county(self, arm: Arm) -> None:
        """Write a county's run folder (``kpis.csv``, its manifest, ``details/``)."""
        folder = self.folder
        self.done.add(arm.key)
        if folder.root is None:
            return
        kpis = kpi_table(folder.records[arm.key], self.replications)
        self.written += folder.write_arm(arm, self.arm_fields, kpis)
        self.written += folder.write_details(arm, self.replications)

    def finish(self) -> None:
        """Write the counties whose replications were all kept from an earlier run."""
        for arm in self.folder.arms:
            if arm.key not in self.done:
                self.write_county(arm)

    def _part(self, key: str, replication: int) -> dict:
        found = self.parts[key].get(replication)
        return self.folder.aggregates(key, replication) if found is None else found

    def region_kpis(self, seed: int) -> pd.DataFrame:
        """One row per replication: the counties' replication *r* merged, in county order."""
        rows = []
        for r in range(self.replications):
            county_rows = [self.folder.records[arm.key][r] for arm in self.folder.arms]
            parts = [self._part(arm.key, r) for arm in self.folder.arms]
            rows.append({"replication": r, "seed": seed, **merge_replication(county_rows, parts)})
        return pd.DataFrame(rows, columns=list(KPI_COLUMNS))


def run_region(
    region: Region | str | os.PathLike,
    replications: int = 1,
    seed: int | None = None,
    *,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
    dask: Any = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool | None = False,
) -> RegionResult:
    """Run every county of a region, replications ``0..n-1`` each, and merge them.

    Parameters
    ----------
    region : Region or path
        A loaded region (:func:`load_region`) or a region file.
    replications : int
        Replications per county (at least 1).
    seed : int, optional
        Root seed of the region (default: the region file's ``seed``); county *k*
        uses :func:`county_seed`.
    overrides : sequence of str, optional
        ``PATH=VALUE`` overrides applied to every county of a region file (after
        the county's own ``set:``).
    jobs, dask, progress
        As for :func:`sim.experiments.compare`.
    out : path, optional
        Results folder (see the module docstring); each county's folder is written
        as soon as its last replication finishes. By default nothing is written.
    resume : bool, optional
        Reuse the finished replications in ``out`` (same counties, seed and version).

    Returns
    -------
    RegionResult
    """
    if not isinstance(region, Region):
        region = load_region(region, overrides)
    elif overrides:
        raise ExperimentError("overrides apply to a region file; this region is loaded already")
    settings = core.Settings.checked(replications, least=1, jobs=jobs, dask=dask, progress=progress)
    seed = check_seed(region.seed if seed is None else seed, ExperimentError)
    arms = [
        Arm(arm.key, arm.label, arm.scenario, arm.file, county_seed(seed, k))
        for k, arm in enumerate(region.counties)
    ]
    folder = ExperimentFolder(core._check_out(out), "region", arms, seed, resume)
    mode = folder.check()
    common = core._common_fields(list(overrides), core.HEADLINE_KPIS)
    fields = {
        **common,
        "replication_seeds": COUNTY_SEEDS,
        "region_name": region.name,
        "region_file": region.file,
        "aggregation": AGGREGATION,
        "lead_time_bin_h": BIN_H,
    }
    # Each county's folder is a run of its own: its seed is the county's, drawn as any run's.
    merger = _Merger(
        folder, replications, {**core._arm_fields(common), "replications": replications}
    )
    execution = core._execute(folder, mode, seed, settings, fields, region.name, merger)
    merger.finish()
    kpis = merger.region_kpis(seed)
    result = RegionResult(
        region.name,
        kpis,
        dict(execution.tables),
        {arm.label: arm.seed for arm in arms},
        replications,
        seed,
        execution.executor,
        folder.root,
    )
    if folder.root is not None:
        write_text_atomic(folder.root / "kpis.csv", kpis.to_csv(index=False))
        per_county = [
            summarize(table, list(KPI_NAMES)).assign(county=name)
            for name, table in execution.tables.items()
        ]
        counties = pd.concat(per_county, ignore_index=True)
        counties = counties[["county", "kpi", "mean", "ci_low", "ci_high", "n"]]
        write_text_atomic(folder.root / "counties.csv", counties.to_csv(index=False))
        done = core._finish_fields(
            fields, execution, settings, ["kpis.csv", "counties.csv", *merger.written]
        )
        folder.write_manifest(done, status="complete")
        result.files = done["files"]
    return result
