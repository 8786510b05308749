"""``ruralsim check``: run scenarios again and judge their KPIs against stored baselines.

One baseline file per scenario, ``DIR/<scenario name>.json`` (its format in
:mod:`sim.checking.baselines`; the statistical rule in :mod:`sim.analysis.regression`;
the options in :mod:`sim.checking.options`; the terminal table in
:mod:`sim.checking.text`). :func:`check` reruns every scenario — by default
with the baseline's seed, replication count and ``--set`` overrides, so unchanged
code and scenario reproduce the baseline exactly — and judges each checked KPI.
:func:`update_baselines` writes or refreshes the files.

Every input is checked before anything runs: the rule's options, the scenarios
and (for a check) every baseline file — its fields and types, its fingerprint and
overrides against the scenario it records, and at least two values of every
checked KPI, so a damaged file cannot switch a check off. Baseline files are
written only after every scenario has run, each atomically.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.regression import DEFAULT_LEVEL, KpiVerdict, MinEffect, Rule, check_kpis
from sim.checking.baselines import Baseline, baseline_record, read_baseline, write_baseline
from sim.checking.errors import BaselineError, CheckError
from sim.checking.options import make_rule
from sim.checking.text import format_verdicts
from sim.experiments.executors import make_executor
from sim.experiments.folder import (
    Fingerprint,
    changes_since,
    fingerprint,
    flatten,
    recorded_fingerprint,
)
from sim.experiments.replications import check_seed, progress_bar, run_replications
from sim.results import command_line, package_version, versions
from sim.runner import load_checked
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.schema import Scenario

DEFAULT_REPLICATIONS = 10
"""Replications of a new baseline when ``--replications`` is not given."""
MAX_CHANGES_SHOWN = 20
"""Changed scenario fields listed per scenario (the rest are counted)."""


@dataclass(frozen=True)
class ScenarioCheck:
    """One scenario checked against its baseline.

    Attributes
    ----------
    name : str
        Scenario name.
    file : str
        The scenario file as given.
    baseline_path : Path
        Its baseline file.
    baseline : Baseline
        The baseline's content.
    seed, replications : int
        How the new replications ran.
    overrides : tuple of str
        Every ``--set`` applied: the baseline's, then the check's own.
    changed : tuple of str
        Fields of the resolved scenario, then files it reads, that differ from the
        baseline's.
    since : str
        Whether the scenario changed since the baseline, in one line.
    kpis : DataFrame
        The new KPI table, one row per replication.
    verdicts : tuple of KpiVerdict
        One per checked KPI.
    """

    name: str
    file: str
    baseline_path: Path
    baseline: Baseline
    seed: int
    replications: int
    overrides: tuple[str, ...]
    changed: tuple[str, ...]
    since: str
    kpis: pd.DataFrame = field(repr=False)
    verdicts: tuple[KpiVerdict, ...]

    def named(self, verdict: str) -> list[str]:
        """KPIs with a verdict (``"regressed"``, ``"improved"``, ``"ok"``, ``"not comparable"``)."""
        return [item.kpi for item in self.verdicts if item.verdict == verdict]

    def report(self) -> str:
        """The scenario's header, changed fields, table and reasons for non-ok verdicts."""
        base = self.baseline
        same_seed = self.seed == base.seed
        randomness = (
            "the baseline's seed: common random numbers"
            if same_seed
            else "a different seed from the baseline's: independent random numbers"
        )
        lines = [
            f"{self.name} ({self.file}): {self.replications} replications, seed {self.seed} "
            f"({randomness})",
            f"  baseline {self.baseline_path}: {base.replications} replications, seed "
            f"{base.seed}, made {base.created_at} with ruralsim {base.package_version}"
            + (
                ""
                if base.package_version == package_version()
                else f" (this is {package_version()})"
            ),
        ]
        if self.overrides:
            lines.append(f"  --set: {' '.join(self.overrides)}")
        lines.append(f"  {self.since}")
        lines += [f"    {change}" for change in self.changed[:MAX_CHANGES_SHOWN]]
        if len(self.changed) > MAX_CHANGES_SHOWN:
            lines.append(f"    ... and {len(self.changed) - MAX_CHANGES_SHOWN} more")
        lines += ["", format_verdicts(self.verdicts)]
        notes = [item for item in self.verdicts if item.verdict != "ok"]
        if notes:
            lines.append("")
            lines += [f"  {item.kpi} {item.verdict}: {item.reason}" for item in notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class CheckResult:
    """Result of :func:`check`.

    Attributes
    ----------
    scenarios : tuple of ScenarioCheck
        One per scenario, in the order given.
    rule : Rule
        KPIs, directions, minimum effects and level.
    executor : str
        Where the replications ran.
    """

    scenarios: tuple[ScenarioCheck, ...]
    rule: Rule
    executor: str = "serial"

    @property
    def regressed(self) -> bool:
        """True when any KPI of any scenario regressed."""
        return any(item.named("regressed") for item in self.scenarios)

    def summary(self) -> str:
        """One line: passed or failed, and what regressed or improved where."""
        counts = {"ok": 0, "regressed": 0, "improved": 0, "not comparable": 0}
        for item in self.scenarios:
            for verdict in item.verdicts:
                counts[verdict.verdict] += 1
        checks = sum(counts.values())
        head = "FAILED" if self.regressed else "passed"
        text = (
            f"check {head}: {len(self.scenarios)} scenario(s), {checks} KPI checks: "
            f"{counts['regressed']} regressed, {counts['improved']} improved, "
            f"{counts['ok']} ok, {counts['not comparable']} not comparable "
            f"(level {self.rule.level:g} per scenario)"
        )
        for verdict in ("regressed", "improved"):
            named = [
                f"{item.name}: {', '.join(item.named(verdict))}"
                for item in self.scenarios
                if item.named(verdict)
            ]
            if named:
                text += f"; {verdict}: " + "; ".join(named)
        return text

    def brief(self) -> str:
        """The summary line, then one line per KPI that is not ok (for ``--quiet``)."""
        lines = [self.summary()]
        for item in self.scenarios:
            lines += [
                f"  {item.name}: {verdict.kpi} {verdict.verdict}: {verdict.reason}"
                for verdict in item.verdicts
                if verdict.verdict != "ok"
            ]
        return "\n".join(lines)

    def report(self) -> str:
        """The rule, every scenario's table and the summary line."""
        rule = self.rule
        effects = ", ".join(
            f"{item.kpi} {item.min_effect.describe(item.kpi)}" for item in rule.kpis
        )
        lines = [
            f"check: {len(rule.kpis)} KPI(s) per scenario; a KPI regresses when its mean is "
            f"worse, a one-sided Welch t-test gives p < {rule.level:g}/{len(rule.kpis)} = "
            f"{rule.per_kpi_level:.3g}, and the change exceeds its minimum effect:",
            f"  {effects}",
        ]
        for item in self.scenarios:
            lines += ["", item.report()]
        lines += ["", self.summary()]
        return "\n".join(lines)


@dataclass(frozen=True)
class UpdateResult:
    """Result of :func:`update_baselines`.

    Attributes
    ----------
    written : tuple of tuple
        Per scenario ``(name, path, seed, replications, what)`` where ``what`` is
        ``"created"`` or ``"replaced"`` (with the number of changed fields if any).
    """

    written: tuple[tuple[str, Path, int, int, str], ...]

    def report(self) -> str:
        """One line per baseline file written."""
        return "\n".join(
            f"{name}: baseline {what}: {path} ({replications} replications, seed {seed})"
            for name, path, seed, replications, what in self.written
        )


# --------------------------------------------------------------------------- helpers


def _check_replications(replications: int | None) -> None:
    if replications is None:
        return
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise CheckError(
            f"--replications must be a whole number of at least 2 (Welch's test needs two), "
            f"got {replications!r}"
        )


def _check_seed(seed: int | None) -> int | None:
    return None if seed is None else check_seed(seed, CheckError, "--seed")


def _baseline_dir(directory: str | os.PathLike) -> Path:
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise CheckError(f"--baseline {root}: exists and is not a folder")
    return root


def _check_names(names: Sequence[str], files: Sequence[str]) -> None:
    # The schema already makes every name a safe file name; what is left is that two
    # names differing only in case would share a file on a case-insensitive disk.
    seen: dict[str, str] = {}
    for name, file in zip(names, files, strict=True):
        if name.lower() in seen:
            raise CheckError(
                f"{seen[name.lower()]} and {file} are both named {name!r}; each scenario's "
                "baseline file is named after it, so give each a different name:"
            )
        seen[name.lower()] = file


def _check_usable(path: Path, baseline: Baseline, name: str, file: str, rule: Rule) -> None:
    """Refuse a baseline that cannot back this check, naming the field.

    A check that a bad file could switch off would be no check: the file must be
    this scenario's, agree with its own fingerprint and overrides, and hold at
    least two values of every KPI checked.
    """
    if baseline.scenario_name != name:
        raise BaselineError(
            f"{path}: holds the baseline of scenario {baseline.scenario_name!r}, not {name!r}"
        )
    if recorded_fingerprint(baseline.scenario, baseline.inputs) != baseline.fingerprint:
        raise BaselineError(
            f"{path}: fingerprint is not that of the scenario the file records; "
            "the file was edited or is damaged"
        )
    for item in rule.kpis:
        record = baseline.kpis.get(item.kpi)
        if record is None:
            raise BaselineError(f"{path}: kpis.{item.kpi} is missing, and it is checked")
        if record.n < 2:
            raise BaselineError(
                f"{path}: kpis.{item.kpi} has {record.n} value(s) of {baseline.replications}; "
                "a check needs at least 2 (if the KPI is undefined for this scenario, do "
                "not check it: leave it out of --kpi)"
            )
    try:
        own = load_scenario(file, baseline.overrides)
    except ScenarioError:
        return  # said when the scenario is loaded to run, with the overrides named
    # Overrides are not in the fingerprint: each must give what the file records, or the
    # check would rerun something else (a horizon of years, say) against these values.
    resolved, recorded = flatten(own.model_dump(mode="json")), flatten(baseline.scenario)
    for text in baseline.overrides:
        key = text.partition("=")[0].strip()
        for leaf in sorted(p for p in resolved if p == key or p.startswith(key + ".")):
            if recorded.get(leaf, "(absent)") != resolved[leaf]:
                raise BaselineError(
                    f"{path}: overrides set {leaf} to {resolved[leaf]!r}, but the scenario "
                    f"the file records has {recorded.get(leaf, '(absent)')!r}; the file was "
                    "edited or is damaged"
                )


def _update_hint(files: Sequence[str], root: Path) -> str:
    words = ["ruralsim", "check", *files, "--baseline", str(root), "--update"]
    return (
        f"to make or refresh {'it' if len(files) == 1 else 'them'}: {shlex.join(words)} "
        "(with the --set, --seed and --replications the baseline should use)"
    )


def _run_all(
    jobs: list[tuple[Scenario, int, int]], parallel_jobs, dask, progress
) -> tuple[list[pd.DataFrame], str]:
    tables = []
    with (
        make_executor(parallel_jobs, dask) as executor,
        progress_bar("check", sum(n for _, _, n in jobs), progress) as bar,
    ):
        for scenario, seed, replications in jobs:
            if bar is not None:
                bar.set_description(scenario.name)
            tick = None if bar is None else bar.update
            tables.append(run_replications(scenario, replications, seed, tick, executor=executor))
        description = executor.description
    return tables, description


def _count(changes: Sequence[str]) -> str:
    """``1 field``, ``2 fields, 1 file``: what :func:`changes_since` found."""
    files = sum(change.startswith("file ") for change in changes)
    parts = [(len(changes) - files, "field"), (files, "file")]
    return ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in parts if n)


def _since_baseline(
    baseline: Baseline, scenario: Scenario, now: Fingerprint
) -> tuple[tuple[str, ...], str]:
    """What changed since the baseline was made, and the line that says so."""
    if now.sha256 == baseline.fingerprint:
        return (), (
            "scenario unchanged since the baseline (same fingerprint: the resolved "
            "scenario and every file it reads)"
        )
    changed = tuple(changes_since(baseline.scenario, baseline.inputs, scenario, now))
    if changed:
        return changed, f"scenario changed since the baseline ({_count(changed)}); compared anyway:"
    if baseline.inputs is None and baseline.fingerprint == now.scenario:
        # A baseline made before fingerprints covered the files a scenario reads.
        return (), (
            "resolved scenario unchanged since the baseline; the baseline does not record "
            "the files the scenario reads, so a change to their contents would not show "
            "here (refresh it with --update to record them)"
        )
    return (), (
        "scenario fingerprint differs from the baseline's, but no field or file shows a "
        "change (was the baseline made by another ruralsim?); compared anyway"
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- commands


def check(
    scenarios: Sequence[str | os.PathLike],
    baseline_dir: str | os.PathLike,
    *,
    replications: int | None = None,
    seed: int | None = None,
    kpis: Iterable[str] | None = None,
    level: float = DEFAULT_LEVEL,
    min_effects: Mapping[str, MinEffect] | Iterable[str] | None = None,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
    dask: Any = None,
    progress: bool | None = False,
) -> CheckResult:
    """Run scenarios again and judge their KPIs against their baselines.

    Parameters
    ----------
    scenarios : sequence of path
        Scenario files.
    baseline_dir : path
        Folder of baseline files, ``<scenario name>.json`` each.
    replications : int, optional
        Replications per scenario (at least 2; default: the baseline's).
    seed : int, optional
        Root seed (default: the baseline's, so an unchanged scenario reproduces it).
    kpis : iterable of str, optional
        ``NAME`` or ``NAME:higher-is-worse`` / ``NAME:lower-is-worse``; default
        :data:`sim.analysis.regression.DEFAULT_KPIS`.
    level : float, optional
        α, the largest false-alarm probability per scenario (default 0.01).
    min_effects : mapping or iterable of str, optional
        Minimum practical effects replacing the defaults (``KPI=VALUE`` strings or
        KPI -> :class:`MinEffect`).
    overrides : sequence of str, optional
        ``PATH=VALUE`` applied after the baseline's own overrides.
    jobs, dask : optional
        Where replications run (see :func:`sim.experiments.make_executor`).
    progress : bool or None, optional
        Progress bar: None only on a terminal, False never (default).

    Returns
    -------
    CheckResult
        Every scenario's verdicts; ``.regressed`` says whether anything regressed.

    Raises
    ------
    CheckError
        Bad options, or a missing, unreadable or corrupt baseline file (the
        message names the files and how to make them).
    ScenarioError
        A scenario that does not load.
    """
    rule = make_rule(kpis, level, min_effects)
    _check_replications(replications)
    seed = _check_seed(seed)
    root = _baseline_dir(baseline_dir)
    overrides = list(overrides)
    files = [os.fspath(path) for path in scenarios]
    if not files:
        raise CheckError("no scenario to check")
    names = [load_scenario(path, overrides).name for path in files]  # planned below
    _check_names(names, files)
    baselines, problems, missing = [], [], []
    for name, file in zip(names, files, strict=True):
        path = root / f"{name}.json"
        try:
            baseline = read_baseline(path)
            _check_usable(path, baseline, name, file, rule)
        except BaselineError as exc:
            problems.append(str(exc))
            missing.append(file)
            continue
        baselines.append((path, baseline))
    if problems:
        head = "no usable baseline" if len(problems) == 1 else f"{len(problems)} baselines unusable"
        raise BaselineError(
            f"{head}:\n  " + "\n  ".join(problems) + f"\n{_update_hint(missing, root)}"
        )
    work, plans = [], []
    for file, (path, baseline) in zip(files, baselines, strict=True):
        applied = [*baseline.overrides, *overrides]
        try:
            scenario = load_checked(file, applied)
        except ScenarioError as exc:
            raise CheckError(
                f"{file} with the overrides recorded in {path} "
                f"({' '.join(baseline.overrides)}) does not load: {exc}"
            ) from None
        run_seed = baseline.seed if seed is None else seed
        run_replications = baseline.replications if replications is None else replications
        work.append((scenario, run_seed, run_replications))
        plans.append((file, path, baseline, applied, scenario))
    tables, executor = _run_all(work, jobs, dask, progress)
    results = []
    for (file, path, baseline, applied, scenario), table, (_, run_seed, n) in zip(
        plans, tables, work, strict=True
    ):
        changed, since = _since_baseline(baseline, scenario, fingerprint(scenario, file))
        results.append(
            ScenarioCheck(
                scenario.name,
                file,
                path,
                baseline,
                run_seed,
                n,
                tuple(applied),
                changed,
                since,
                table,
                tuple(check_kpis(rule, baseline.values(), table)),
            )
        )
    return CheckResult(tuple(results), rule, executor)


def update_baselines(
    scenarios: Sequence[str | os.PathLike],
    baseline_dir: str | os.PathLike,
    *,
    replications: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    jobs: int | None = None,
    dask: Any = None,
    progress: bool | None = False,
) -> UpdateResult:
    """Write or refresh the baseline file of every scenario.

    The files record exactly what this call was given: ``overrides``, ``seed``
    (default: each scenario's ``seed``) and ``replications`` (default
    :data:`DEFAULT_REPLICATIONS`). Nothing is written until every scenario has
    run; each file is written atomically.

    Parameters
    ----------
    scenarios : sequence of path
        Scenario files.
    baseline_dir : path
        Folder for the baseline files (created if needed).
    replications : int, optional
        Replications per scenario (at least 2; default 10).
    seed : int, optional
        Root seed (default: each scenario's own ``seed``).
    overrides : sequence of str, optional
        ``PATH=VALUE`` overrides, recorded in the files and reused by checks.
    jobs, dask, progress : optional
        As for :func:`check`.

    Returns
    -------
    UpdateResult
        The files written.
    """
    _check_replications(replications)
    seed = _check_seed(seed)
    root = _baseline_dir(baseline_dir)
    overrides = list(overrides)
    n = DEFAULT_REPLICATIONS if replications is None else replications
    files = [os.fspath(path) for path in scenarios]
    if not files:
        raise CheckError("no scenario to make a baseline for")
    loaded = [load_checked(path, overrides) for path in files]
    _check_names([scenario.name for scenario in loaded], files)
    work = [(scenario, scenario.seed if seed is None else seed, n) for scenario in loaded]
    tables, _ = _run_all(work, jobs, dask, progress)
    command = command_line()
    records, written = [], []
    for file, scenario, table, (_, run_seed, _) in zip(files, loaded, tables, work, strict=True):
        path = root / f"{scenario.name}.json"
        now = fingerprint(scenario, file)
        what = "created"
        if path.exists():
            what = "replaced"
            try:
                old = read_baseline(path)
            except BaselineError:
                old = None
            if old is not None and old.fingerprint != now.sha256:
                changed = changes_since(old.scenario, old.inputs, scenario, now)
                if changed:
                    what = f"replaced (scenario changed: {_count(changed)})"
        records.append(
            (
                path,
                baseline_record(
                    scenario_name=scenario.name,
                    scenario=scenario.model_dump(mode="json"),
                    fingerprint=now.sha256,
                    inputs=now.inputs,
                    overrides=overrides,
                    seed=run_seed,
                    table=table,
                    package_version=package_version(),
                    created_at=_now(),
                    scenario_file=file,
                    versions=versions(),
                    command=command,
                ),
            )
        )
        written.append((scenario.name, path, run_seed, n, what))
    for path, record in records:
        try:
            root.mkdir(parents=True, exist_ok=True)
            write_baseline(path, record)
        except OSError as exc:
            raise CheckError(f"cannot write {path}: {exc.strerror or exc}") from None
    return UpdateResult(tuple(written))
