"""Experiments: paired comparisons, parameter sweeps and warm-up detection.

Every experiment runs replications ``0..n-1`` of one or more scenarios with one
root seed, so replication *r* of every scenario sees the same parcels (common
random numbers). Replications are independent tasks handed to an executor
(serial, process pool or Dask); results are put back in replication order, so
the numbers do not depend on the executor. With an output folder every finished
replication is kept as it finishes (see :mod:`sim.experiments.folder`), which is
what ``resume`` continues from.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.analysis.compare import (
    comparison_table,
    format_comparison,
    format_estimate,
    titled,
    verdicts,
)
from sim.analysis.directions import HEADLINE_KPIS
from sim.analysis.kpis import KPI_NAMES
from sim.analysis.precision import DEFAULT_BATCH, SequentialResult, sequential_replications
from sim.analysis.stats import summarize
from sim.analysis.sweep import sweep_table
from sim.analysis.warmup import MserResult, mser, text_chart
from sim.checking.errors import CheckError
from sim.checking.options import practical_effects
from sim.experiments import tasks
from sim.experiments.design import (
    SweepDesign,
    describe,
    expand_points,
    load_design,
    override_strings,
    scenario_with,
)
from sim.experiments.errors import ExperimentError
from sim.experiments.executors import make_executor
from sim.experiments.folder import Arm, ExperimentFolder
from sim.experiments.replications import check_seed, progress_bar, replicator
from sim.results import (
    MANIFEST,
    OutputError,
    check_folder_target,
    command_line,
    versions,
    write_text_atomic,
)
from sim.runner import check_scenario, load_checked
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

LEVEL = 0.95
"""Confidence level of every interval."""
DEFAULT_MAX_REPLICATIONS = 50
"""Cap of ``replications="auto"``."""
SEEDING = "replication r uses child r of numpy SeedSequence(seed), in every scenario"

Replications = int | Literal["auto"]
ScenarioLike = Scenario | str | os.PathLike

_RESERVED = {"manifest.json", "comparison.csv", "sweep.csv", "kpis.csv", "points"}
# The report's files (ruralsim report, compare --report) live beside the scenarios' folders.
_RESERVED |= {"report.html", "report_zh.html", "report_figures", "report_zh_figures"}


# --------------------------------------------------------------------------- checks


def _load(item: ScenarioLike, overrides: Sequence[str]) -> tuple[Scenario, str | None]:
    """Load (or take) a scenario, apply overrides and plan it: every input error now."""
    file = None if isinstance(item, Scenario) else os.fspath(item)
    return load_checked(item, overrides), file


def _check_focus(kpis: Iterable[str] | None) -> tuple[str, ...]:
    if kpis is None:
        return HEADLINE_KPIS
    focus = tuple(dict.fromkeys(kpis))
    unknown = [k for k in focus if k not in KPI_NAMES]
    if unknown:
        raise ExperimentError(f"unknown KPI {', '.join(unknown)} (known: {', '.join(KPI_NAMES)})")
    if not focus:
        raise ExperimentError("no KPI named")
    return focus


def _check_replications(
    replications: Replications, precision: float | None, max_replications: int, least: int
) -> None:
    if replications == "auto":
        if precision is not None and not 0 < precision <= 1:
            raise ExperimentError(f"precision must be in (0, 1], got {precision}")
        if max_replications < max(least, 2):
            raise ExperimentError(f"max_replications must be at least 2, got {max_replications}")
        return
    if isinstance(replications, bool) or not isinstance(replications, int | np.integer):
        raise ExperimentError(
            f"replications must be a whole number or 'auto', got {replications!r}"
        )
    if replications < least:
        why = " (a confidence interval needs two)" if least == 2 else ""
        raise ExperimentError(f"replications must be at least {least}{why}, got {replications}")
    if precision is not None:
        raise ExperimentError(
            "precision applies only with replications='auto' (--replications auto)"
        )


def _check_seed(seed: int | None, default: int) -> int:
    return check_seed(default if seed is None else seed, ExperimentError)


def _check_out(out: str | os.PathLike | None) -> Path | None:
    """The results folder; refused if it is ``.``/``..``, a file or a folder of the user's."""
    if out is None:
        return None
    try:
        check_folder_target(Path(out))
    except OutputError as exc:
        raise ExperimentError(str(exc)) from None
    return Path(out)


def _check_names(scenarios: Sequence[Scenario], files: Sequence[str | None]) -> None:
    seen: dict[str, int] = {}
    for index, scenario in enumerate(scenarios):
        name = scenario.name
        where = files[index] or f"scenario {index + 1}"
        # Which characters a name may have is the schema's rule (Scenario.name); here
        # only the names of the comparison folder's own files are taken.
        if name.lower() in _RESERVED:
            raise ExperimentError(
                f"{where}: scenario name {name!r} cannot name a results folder: a comparison "
                f"keeps its own files there ({', '.join(sorted(_RESERVED))}); give the "
                "scenario another name: in its file"
            )
        if name.lower() in seen:
            other = files[seen[name.lower()]] or f"scenario {seen[name.lower()] + 1}"
            raise ExperimentError(
                f"{other} and {where} are both named {name!r}; a comparison names its "
                "results by scenario name, so give each a different name: in its file"
            )
        seen[name.lower()] = index


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Settings:
    """How an experiment runs its replications: the settings every experiment shares.

    Built by :meth:`checked`, which refuses bad values with an :class:`ExperimentError`.
    """

    replications: Replications
    precision: float = 0.05
    max_replications: int = DEFAULT_MAX_REPLICATIONS
    focus: tuple[str, ...] = HEADLINE_KPIS
    jobs: int | None = None
    dask: Any = None
    progress: bool | None = False

    @classmethod
    def checked(
        cls,
        replications: Replications,
        precision: float | None = None,
        max_replications: int = DEFAULT_MAX_REPLICATIONS,
        kpis: Iterable[str] | None = None,
        *,
        least: int,
        jobs: int | None = None,
        dask: Any = None,
        progress: bool | None = False,
    ) -> Settings:
        """The settings, checked; ``least`` is the fewest replications that make sense."""
        focus = _check_focus(kpis)
        _check_replications(replications, precision, max_replications, least)
        precision = 0.05 if precision is None else precision
        return cls(replications, precision, max_replications, focus, jobs, dask, progress)

    def rule(self, done: SequentialResult | None = None) -> dict:
        """The manifest's ``replications_rule``; with ``done``, how ``"auto"`` ended."""
        if self.replications != "auto":
            return {"mode": "fixed", "replications": self.replications}
        rule = {
            "mode": "auto",
            "precision": self.precision,
            "kpis": list(self.focus),
            "max_replications": self.max_replications,
            "batch": DEFAULT_BATCH,
            "rule": "add batches until every KPI mean of every scenario has a 95% CI "
            "half-width <= precision x |mean|, or the cap is reached",
        }
        if done is not None:
            rule.update(
                reached=done.reached,
                steps=list(done.steps),
                widest_relative_half_width=float(done.widths["relative"].max()),
            )
        return rule


@dataclass
class _Execution:
    """What an experiment ran and how; shared by run, compare and sweep."""

    tables: dict[str, pd.DataFrame]
    replications: int
    sequential: SequentialResult | None
    executor: str
    reused: int
    started: datetime
    wall_s: float

    def how(self, seed: int, focus: tuple[str, ...], out: Path | None) -> dict:
        """How the experiment ran, as the result objects' shared fields."""
        return {
            "replications": self.replications,
            "seed": seed,
            "focus": focus,
            "sequential": self.sequential,
            "executor": self.executor,
            "reused": self.reused,
            "out": out,
        }


def _execute(
    folder: ExperimentFolder,
    mode: str,
    seed: int,
    settings: Settings,
    fields: dict,
    desc: str,
    collect=None,
) -> _Execution:
    started, clock = datetime.now().astimezone(), time.perf_counter()
    # Connects (to Dask) before anything is written.
    with make_executor(settings.jobs, settings.dask) as executor:
        fields = {
            **fields,
            "executor": executor.description,
            "started_at": started.astimezone(UTC).isoformat(timespec="seconds"),
            "replications": settings.replications,
            "replications_rule": settings.rule(),
        }
        folder.start(mode, fields)
        try:
            with progress_bar(desc, progress=settings.progress) as bar:
                run = replicator(folder, seed, executor, bar, collect=collect)
                if settings.replications == "auto":
                    tables, done = sequential_replications(
                        run,
                        settings.focus,
                        settings.precision,
                        settings.max_replications,
                        DEFAULT_BATCH,
                        LEVEL,
                    )
                    n = done.replications
                else:
                    n = settings.replications
                    tables, done = run(n), None
        except KeyboardInterrupt:
            folder.write_manifest(fields, status="interrupted")
            raise
        except BaseException:
            folder.write_manifest(fields, status="failed")
            raise
        description = executor.description
    return _Execution(
        dict(tables), n, done, description, folder.reused, started, time.perf_counter() - clock
    )


def _finish_fields(
    fields: dict, execution: _Execution, settings: Settings, files: list[str]
) -> dict:
    return {
        **fields,
        "executor": execution.executor,
        "started_at": execution.started.astimezone(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(execution.wall_s, 3),
        "replications": execution.replications,
        "replications_rule": settings.rule(execution.sequential),
        "reused_replications": execution.reused,
        "files": files,
    }


_ARM_FIELDS = (
    *("overrides", "replication_seeds", "confidence_level", "focus_kpis", "versions"),
    *("command", "executor", "started_at", "wall_seconds", "replications"),
    *("replications_rule", "reused_replications"),
)


def _arm_fields(fields: Mapping) -> dict:
    """The fields of an experiment's manifest that hold for each of its scenarios."""
    return {key: fields[key] for key in _ARM_FIELDS if key in fields}


def _common_fields(overrides: Sequence[str], focus: Sequence[str]) -> dict:
    return {
        "overrides": list(overrides),
        "replication_seeds": SEEDING,
        "confidence_level": LEVEL,
        "focus_kpis": list(focus),
        "versions": versions(),
        "command": command_line(),
    }


# --------------------------------------------------------------------------- run


@dataclass
class RunResult:
    """Result of :func:`run_scenario`.

    Attributes
    ----------
    name : str
        The scenario's name.
    kpis : DataFrame
        One row per replication (``kpis.csv``).
    replications, seed : int
        How it was run.
    executor : str
        Where the replications ran.
    out : Path or None
        The results folder.
    files : list of str
        Files written there, relative to ``out``.
    title : str
        The scenario's ``title`` (empty when it has none).
    """

    name: str
    kpis: pd.DataFrame
    replications: int
    seed: int
    executor: str = "serial"
    out: Path | None = None
    files: list[str] = field(default_factory=list)
    title: str = ""

    @property
    def table(self) -> pd.DataFrame:
        """Per KPI: mean, 95% CI and replication count (``kpi, mean, ci_low, ci_high, n``)."""
        return summarize(self.kpis, list(KPI_NAMES))

    def report(self) -> str:
        """The KPI means and intervals for the terminal."""
        lines = [
            titled(self.name, self.title)
            + f": {self.replications} replication(s), seed {self.seed}",
            f"{'KPI':<24} {'mean':>22}",
        ]
        for row in self.table.itertuples():
            half = (row.ci_high - row.ci_low) / 2
            lines.append(f"{row.kpi:<24} {format_estimate(row.kpi, row.mean, half):>22}")
        if self.replications > 1:
            lines.append("(mean ± half-width of its 95% confidence interval over the replications)")
        return "\n".join(lines)


def run_scenario(
    scenario: ScenarioLike,
    replications: int = 1,
    seed: int | None = None,
    *,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
    dask: Any = None,
    out: str | os.PathLike | None = None,
    progress: bool | None = False,
) -> RunResult:
    """Replications of one scenario: a one-arm experiment.

    Parameters
    ----------
    scenario : Scenario or path
        The scenario.
    replications : int, optional
        How many (default 1).
    seed : int, optional
        Root seed (default: the scenario's ``seed``).
    overrides, jobs, dask, progress
        As for :func:`compare`.
    out : path, optional
        Results folder (``manifest.json``, ``kpis.csv``, ``details/``), written whole
        when every replication has finished: an interrupted run leaves the folder as
        it was. By default nothing is written.

    Returns
    -------
    RunResult
        Each replication's KPIs, their means and intervals, and how it was run.
    """
    overrides = list(overrides)
    settings = Settings.checked(replications, least=1, jobs=jobs, dask=dask, progress=progress)
    found, file = _load(scenario, overrides)
    seed = _check_seed(seed, found.seed)
    arm = Arm("", found.name, found, file)
    folder = ExperimentFolder(_check_out(out), "run", [arm], seed, resume=False)
    mode = folder.check()
    fields = {**_common_fields(overrides, HEADLINE_KPIS), "scenario_file": file}
    with folder.open():
        execution = _execute(folder, mode, seed, settings, fields, desc=found.name)
        kpis = execution.tables[found.name]
        result = RunResult(found.name, kpis, replications, seed, execution.executor, folder.target)
        result.title = found.title
        if folder.root is not None:
            files = folder.write_arm(arm, {}, kpis) + folder.write_details(arm, replications)
            done = _finish_fields(fields, execution, settings, [*files, MANIFEST])
            folder.write_manifest(done, status="complete")
            result.files = done["files"]
    return result


# --------------------------------------------------------------------------- compare


@dataclass
class Comparison:
    """Result of :func:`compare`.

    Attributes
    ----------
    table : DataFrame
        The long comparison table (``comparison.csv``).
    kpis : dict of str to DataFrame
        Each scenario's KPI table, one row per replication (``kpis.csv``).
    replications : int
        Replications per scenario.
    seed : int
        The root seed every scenario used.
    focus : tuple of str
        KPIs given a verdict (and checked by ``replications="auto"``).
    sequential : SequentialResult or None
        How ``replications="auto"`` ended.
    executor : str
        Where the replications ran.
    reused : int
        Replications taken from an earlier run (``resume``).
    out : Path or None
        The results folder.
    files : list of str
        Files written there when the comparison completed, relative to ``out``.
    titles : dict of str to str
        Each scenario's ``title``, where it has one.
    """

    table: pd.DataFrame
    kpis: dict[str, pd.DataFrame]
    replications: int
    seed: int
    focus: tuple[str, ...]
    sequential: SequentialResult | None = None
    executor: str = "serial"
    reused: int = 0
    out: Path | None = None
    files: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """The first scenario, which the others are compared with."""
        return next(iter(self.kpis))

    def verdicts(self, kpis: Sequence[str] | None = None) -> list[str]:
        """One line per non-reference scenario and KPI (default: the focus KPIs)."""
        return verdicts(self.table, list(kpis or self.focus), LEVEL)

    def report(self) -> str:
        """The comparison for the terminal: setting, table, verdicts."""
        lines = [
            f"compare: {', '.join(self.kpis)}; {self.replications} replications each, "
            f"seed {self.seed}, common random numbers; reference: {self.reference}"
        ]
        if self.sequential is not None:
            lines.append(self.sequential.summary())
        lines += ["", format_comparison(self.table, titles=self.titles), "", *self.verdicts()]
        return "\n".join(lines)


def compare(
    scenarios: Sequence[ScenarioLike],
    replications: Replications = 5,
    seed: int | None = None,
    *,
    overrides: Sequence[str] = (),
    kpis: Sequence[str] | None = None,
    precision: float | None = None,
    max_replications: int = DEFAULT_MAX_REPLICATIONS,
    jobs: int | None = None,
    dask: Any = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool | None = False,
    practical: Mapping[str, float | tuple[float, float]] | Iterable[str] | None = None,
) -> Comparison:
    """Compare scenarios with common random numbers: the long comparison table.

    Replication *r* of every scenario uses child *r* of ``SeedSequence(seed)``, so
    every scenario sees the same parcels; differences to the first scenario (the
    reference) are paired by replication.

    Parameters
    ----------
    scenarios : sequence of Scenario or path
        At least two; loaded scenarios or YAML files. Names must differ (they name
        the rows and the result folders).
    replications : int or "auto"
        Replications per scenario (at least 2), or ``"auto"`` to add batches of
        5 until every ``kpis`` mean of every scenario is within ``precision``
        (relative CI half-width) or ``max_replications`` is reached.
    seed : int, optional
        Root seed for every scenario (default: the first scenario's ``seed``).
    overrides : sequence of str, optional
        ``PATH=VALUE`` overrides applied to every scenario (like ``--set``).
    kpis : sequence of str, optional
        Focus KPIs: the verdicts, and what ``"auto"`` checks (default: headline KPIs).
    precision : float, optional
        Relative precision for ``"auto"`` (default 0.05).
    max_replications : int, optional
        Cap for ``"auto"`` (default 50).
    jobs : int, optional
        Worker processes (default: serial); with ``dask="local"``, Dask workers.
    dask : str or distributed.Client, optional
        ``"local"`` (start a LocalCluster), a scheduler address, or a client.
    out : path, optional
        Results folder (``comparison.csv``, each scenario's ``kpis.csv`` …); by
        default nothing is written.
    resume : bool, optional
        Reuse the finished replications in ``out`` (same scenarios and seed only).
    progress : bool or None, optional
        Show a progress bar on stderr (None: only on a terminal).
    practical : mapping or iterable of str, optional
        Practical thresholds replacing the KPI table's: KPI -> absolute threshold in
        the KPI's units (shares as fractions) or ``(absolute, relative)``, or
        ``--practical`` strings such as ``"cost_per_parcel_cny=0.1"``. A difference
        within its threshold is "no practical difference"
        (:func:`sim.analysis.compare.classify`); recorded in the manifest.

    Returns
    -------
    Comparison
        ``.table``: the long comparison table (columns ``scenario, kpi, mean, ci_low,
        ci_high, diff, diff_ci_low, diff_ci_high, p_value, practical``; one row per scenario and
        KPI); ``.kpis``: each scenario's replications; ``.verdicts()``, ``.report()``
        and how it was run.

    Raises
    ------
    ScenarioError
        For an invalid scenario.
    ExperimentError
        For other bad input (a ``ValueError``).
    """
    overrides = list(overrides)
    if len(scenarios) < 2:
        raise ExperimentError(f"a comparison needs at least two scenarios, got {len(scenarios)}")
    try:
        thresholds = practical_effects(practical)
    except CheckError as exc:
        raise ExperimentError(str(exc)) from None
    settings = Settings.checked(
        replications,
        precision,
        max_replications,
        kpis,
        least=2,
        jobs=jobs,
        dask=dask,
        progress=progress,
    )
    focus = settings.focus
    loaded = [_load(item, overrides) for item in scenarios]
    found = [scenario for scenario, _ in loaded]
    files = [file for _, file in loaded]
    _check_names(found, files)
    seed = _check_seed(seed, found[0].seed)
    arms = [Arm(s.name, s.name, s, file) for s, file in zip(found, files, strict=True)]
    folder = ExperimentFolder(_check_out(out), "compare", arms, seed, resume)
    mode = folder.check()
    fields = {
        **_common_fields(overrides, focus),
        "scenarios": [{"name": s.name, "file": f} for s, f in zip(found, files, strict=True)],
        "comparison": "paired differences to the first scenario (the reference): "
        "diff = scenario - reference per replication, Student-t 95% CI, paired t-test p-value",
        "practical": {kpi: list(effect) for kpi, effect in thresholds.items()},
    }
    execution = _execute(folder, mode, seed, settings, fields, desc="compare")
    table = comparison_table(execution.tables, list(KPI_NAMES), LEVEL, thresholds)
    result = Comparison(table, execution.tables, **execution.how(seed, focus, folder.root))
    result.titles = {s.name: s.title for s in found if s.title}
    if folder.root is not None:
        done = _finish_fields(fields, execution, settings, [])
        files_written = ["comparison.csv"]
        for arm in arms:
            files_written += folder.write_arm(arm, _arm_fields(done), execution.tables[arm.label])
            files_written += folder.write_details(arm, execution.replications)
        write_text_atomic(folder.root / "comparison.csv", table.to_csv(index=False))
        folder.write_manifest({**done, "files": files_written}, status="complete")
        result.files = files_written
    return result


# --------------------------------------------------------------------------- sweep


@dataclass
class SweepResult:
    """Result of :func:`sweep`.

    Attributes
    ----------
    table : DataFrame
        ``sweep.csv``: varied paths, ``kpi, mean, ci_low, ci_high, n``.
    points : DataFrame
        One row per point (index ``p000`` …), one column per varied path.
    kpis : DataFrame
        Every replication of every point: varied paths, ``replication``, ``seed``, KPIs.
    replications : int
        Replications per point.
    seed : int
        The root seed every point used.
    focus : tuple of str
        KPIs shown, and checked by ``replications="auto"``.
    sequential : SequentialResult or None
        How ``replications="auto"`` ended.
    executor : str
        Where the replications ran.
    reused : int
        Replications taken from an earlier run.
    out : Path or None
        The results folder.
    """

    table: pd.DataFrame
    points: pd.DataFrame
    kpis: pd.DataFrame
    replications: int
    seed: int
    focus: tuple[str, ...]
    sequential: SequentialResult | None = None
    executor: str = "serial"
    reused: int = 0
    out: Path | None = None

    def report(self, per_block: int = 4) -> str:
        """The sweep for the terminal, fitting 100 columns.

        A legend of the points, then each focus KPI's mean ± half-width of its 95%
        interval per point, *per_block* points side by side.
        """
        lines = [
            f"sweep: {len(self.points)} points, {self.replications} replications each, "
            f"seed {self.seed}, common random numbers"
        ]
        if self.sequential is not None:
            lines.append(self.sequential.summary())
        lines.append("")
        for name, point in self.points.iterrows():
            values = ", ".join(f"{path}={value}" for path, value in point.items())
            lines.append(f"{name:<6}{values}")
        wide = self.table.assign(half=(self.table["ci_high"] - self.table["ci_low"]) / 2)
        names = list(self.points.index)
        by_point = {
            name: wide.iloc[k * len(KPI_NAMES) : (k + 1) * len(KPI_NAMES)].set_index("kpi")
            for k, name in enumerate(names)
        }
        for first in range(0, len(names), per_block):
            block = names[first : first + per_block]
            lines += ["", " ".join([f"{'KPI':<24}", *(f"{name:>18}" for name in block)])]
            for kpi in self.focus:
                cells = [
                    format_estimate(kpi, by_point[n].loc[kpi, "mean"], by_point[n].loc[kpi, "half"])
                    for n in block
                ]
                lines.append(" ".join([f"{kpi:<24}", *(f"{cell:>18}" for cell in cells)]))
        lines.append("(mean ± half-width of its 95% confidence interval over the replications)")
        return "\n".join(lines)


def _sweep_inputs(scenario, vary, points, design, overrides):
    if design is not None:
        if scenario is not None or vary or points:
            raise ExperimentError("give either a sweep design file or a scenario with factors")
        if not isinstance(design, SweepDesign):
            design = load_design(design)
        base = design.scenario
        overrides = [*override_strings(design.overrides, "set"), *overrides]
        vary, points = design.factors, design.points
    else:
        if scenario is None:
            raise ExperimentError("a sweep needs a scenario (or a design file)")
        base = scenario
    return base, list(overrides), dict(vary or {}), list(points or [])


def _sweep_point(base, overrides: Sequence[str], name: str, values: Mapping) -> Scenario:
    """A sweep point's scenario, checked; its errors name it and its varied values."""
    try:
        point = scenario_with(base, overrides, values)
        check_scenario(point)
    except ScenarioError as exc:
        # The point's own values reach the loader as overrides; name them as varied.
        varied = tuple(values)
        problems = [
            ("varied" if file == "--set" and path.startswith(varied) else file, path, text)
            for file, path, text in exc.problems
        ]
        error = ScenarioError.from_problems(problems)
        raise ExperimentError(f"sweep point {name} ({describe(values)}): {error}") from None
    return point


def _every_replication(paths: list[str], expanded: list[dict], tables) -> pd.DataFrame:
    """Every replication of every point, the point's values first (``kpis.csv``)."""
    return pd.concat(
        [
            pd.concat(
                [pd.DataFrame([values] * len(t), columns=paths), t.reset_index(drop=True)],
                axis=1,
            )
            for values, t in zip(expanded, tables, strict=True)
        ],
        ignore_index=True,
    )


def sweep(
    scenario: ScenarioLike | None = None,
    vary: Mapping[str, Sequence[Any]] | None = None,
    replications: Replications = 5,
    seed: int | None = None,
    *,
    points: Sequence[Mapping[str, Any]] | None = None,
    design: SweepDesign | str | os.PathLike | None = None,
    overrides: Sequence[str] = (),
    kpis: Sequence[str] | None = None,
    precision: float | None = None,
    max_replications: int = DEFAULT_MAX_REPLICATIONS,
    jobs: int | None = None,
    dask: Any = None,
    out: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool | None = False,
) -> SweepResult:
    """Run a scenario over a grid of parameter values: the long sweep table.

    Every point runs replications ``0..n-1`` with the same root seed, so the
    points see the same parcels where their demand is the same (common random
    numbers).

    Parameters
    ----------
    scenario : Scenario or path, optional
        The base scenario (or give ``design``).
    vary : mapping of str to sequence, optional
        Factors: scenario path -> values, crossed in a full factorial (the last
        path varies fastest), e.g. ``{"hub.sorting.rate_per_h": [4000, 8000]}``.
    replications : int or "auto"
        Replications per point, or ``"auto"`` (see :func:`compare`).
    seed : int, optional
        Root seed (default: the scenario's ``seed``).
    points : sequence of mapping, optional
        Explicit points (path -> value) run after the factorial ones.
    design : SweepDesign or path, optional
        A sweep YAML file (base scenario, ``set``, ``factors``, ``points``) instead
        of ``scenario``, ``vary`` and ``points``.
    overrides : sequence of str, optional
        ``PATH=VALUE`` overrides applied to every point before its own values.
    kpis, precision, max_replications, jobs, dask, out, resume, progress
        As for :func:`compare`.

    Returns
    -------
    SweepResult
        ``.table``: one column per varied path, then ``kpi, mean, ci_low, ci_high,
        n``; one row per point and KPI; ``.points``, every replication's KPIs and how
        it was run.
    """
    settings = Settings.checked(
        replications,
        precision,
        max_replications,
        kpis,
        least=1,
        jobs=jobs,
        dask=dask,
        progress=progress,
    )
    focus = settings.focus
    base, overrides, factors, explicit = _sweep_inputs(scenario, vary, points, design, overrides)
    paths, expanded = expand_points(factors, explicit)
    width = max(3, len(str(len(expanded) - 1)))
    names = [f"p{number:0{width}d}" for number in range(len(expanded))]
    base_file = None if isinstance(base, Scenario) else os.fspath(base)
    arms = [
        Arm(f"points/{name}", name, _sweep_point(base, overrides, name, values), base_file)
        for name, values in zip(names, expanded, strict=True)
    ]
    first = arms[0].scenario
    seed = _check_seed(seed, first.seed)
    folder = ExperimentFolder(_check_out(out), "sweep", arms, seed, resume)
    mode = folder.check()
    fields = {
        **_common_fields(overrides, focus),
        "scenario_file": base_file,
        "design_file": None
        if design is None or isinstance(design, SweepDesign)
        else os.fspath(design),
        "varied_paths": paths,
        "points": [{"point": n, "values": v} for n, v in zip(names, expanded, strict=True)],
    }
    execution = _execute(folder, mode, seed, settings, fields, desc="sweep")
    point_frame = pd.DataFrame(expanded, columns=paths, index=pd.Index(names, name="point"))
    tables = [execution.tables[name] for name in names]
    table = sweep_table(point_frame.reset_index(drop=True), tables, list(KPI_NAMES), LEVEL)
    every = _every_replication(paths, expanded, tables)
    result = SweepResult(table, point_frame, every, **execution.how(seed, focus, folder.root))
    if folder.root is not None:
        write_text_atomic(folder.root / "sweep.csv", table.to_csv(index=False))
        write_text_atomic(folder.root / "kpis.csv", every.to_csv(index=False))
        files_written = ["sweep.csv", "kpis.csv"]
        for arm in arms:
            files_written += folder.write_details(arm, execution.replications)
        folder.write_manifest(
            _finish_fields(fields, execution, settings, files_written), status="complete"
        )
    return result


# --------------------------------------------------------------------------- warm-up


@dataclass
class WarmupResult:
    """Result of :func:`warmup`.

    Attributes
    ----------
    series : DataFrame
        ``day``, ``lead_time_mean_h`` (daily mean lead time averaged over
        replications) and ``replications`` (how many had a value that day).
    mser : MserResult
        The MSER computation on the series.
    suggested_warmup_days : int
        The suggested ``horizon.warmup_days``.
    scenario_warmup_days : int
        The scenario's own ``horizon.warmup_days``.
    name : str
        Scenario name.
    replications, seed, days : int
        How the series was made.
    peaks_removed : int
        Demand peaks of the scenario switched off for the study.
    """

    series: pd.DataFrame
    mser: MserResult
    suggested_warmup_days: int
    scenario_warmup_days: int
    name: str
    replications: int
    seed: int
    days: int
    peaks_removed: int = 0

    def report(self) -> str:
        """The series as a text chart and the suggestion."""
        batch = self.mser.batch
        removed = (
            f"; its {self.peaks_removed} demand peak(s) switched off (--keep-peaks keeps them)"
            if self.peaks_removed
            else ""
        )
        return "\n".join(
            [
                f"{self.name}: daily mean lead time (hub arrival -> village point, by day of "
                f"hub arrival), mean of {self.replications} replications, seed {self.seed}, "
                f"{self.days} days{removed}",
                text_chart(self.series["lead_time_mean_h"], mark=self.suggested_warmup_days),
                f"MSER-{batch}: truncating {self.mser.batches_truncated} batch(es) of {batch} "
                f"days minimises the MSER statistic (searched the first half of the series)",
                f"suggested horizon.warmup_days: {self.suggested_warmup_days} "
                f"(the scenario has {self.scenario_warmup_days})",
            ]
        )


def warmup(
    scenario: ScenarioLike,
    replications: int = 5,
    seed: int | None = None,
    *,
    overrides: Sequence[str] = (),
    days: int | None = None,
    batch: int = 5,
    keep_peaks: bool = False,
    jobs: int | None = None,
    dask: Any = None,
    progress: bool | None = False,
) -> WarmupResult:
    """Suggest ``horizon.warmup_days`` with MSER-5 on the daily mean lead time.

    Parameters
    ----------
    scenario : Scenario or path
        The scenario to study.
    replications : int, optional
        Replications averaged into the series (default 5).
    seed : int, optional
        Root seed (default: the scenario's ``seed``).
    overrides : sequence of str, optional
        ``PATH=VALUE`` overrides.
    days : int, optional
        Days to simulate (default: the scenario's horizon, at least 10 batches).
    batch : int, optional
        MSER batch size (default 5: MSER-5; 7 averages out the weekly pattern).
    keep_peaks : bool, optional
        Keep the scenario's demand peaks. By default they are switched off: a
        scheduled peak and its backlog are not start-up, but MSER cannot tell.
    jobs, dask, progress
        As for :func:`compare`.

    Returns
    -------
    WarmupResult
        The series, the MSER result and the suggestion.
    """
    base, _ = _load(scenario, list(overrides))
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ExperimentError(f"batch must be a whole number of days >= 1, got {batch!r}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ExperimentError(f"replications must be at least 1, got {replications!r}")
    days = max(base.horizon.days, 10 * batch) if days is None else days
    least = 4 * batch
    if isinstance(days, bool) or not isinstance(days, int) or days < least:
        raise ExperimentError(
            f"days must be at least {least} (four batches of {batch}) for MSER, got {days!r}"
        )
    study_changes = [f"horizon.days={days}", "horizon.warmup_days=0"]
    peaks = len(base.demand.peaks)
    if not keep_peaks:
        # A scheduled peak is not start-up; MSER would mistake its backlog for a transient.
        study_changes.append("demand.peaks=[]")
    study = load_scenario(base, study_changes, overrides_from="--days")
    seed = _check_seed(seed, base.seed)
    work = [(study, seed, r) for r in range(replications)]
    series = np.full((replications, days), np.nan)
    with (
        make_executor(jobs, dask) as executor,
        progress_bar("warm-up", replications, progress) as bar,
    ):
        for index, values in executor.map_unordered(tasks.replicate_daily_lead_time, work):
            series[index] = values
            if bar is not None:
                bar.update()
    counts = np.isfinite(series).sum(axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.where(counts > 0, np.nansum(series, axis=0) / np.maximum(counts, 1), np.nan)
    try:
        found = mser(mean, batch)
    except ValueError as exc:
        raise ExperimentError(f"cannot suggest a warm-up: {exc}") from None
    frame = pd.DataFrame({"day": np.arange(days), "lead_time_mean_h": mean, "replications": counts})
    return WarmupResult(
        frame,
        found,
        found.truncation,
        base.horizon.warmup_days,
        base.name,
        replications,
        seed,
        days,
        0 if keep_peaks else peaks,
    )
