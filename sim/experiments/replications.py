"""The one replication loop: replications of any scenarios, on any executor.

Every command and function that runs replications comes through here: ``run``,
``compare`` and ``sweep`` (with a results folder that keeps each replication as it
finishes, which is what ``--resume`` continues from), ``check`` and
``sim.run_replications`` (in memory). Replication *r* of every scenario uses child *r*
of ``SeedSequence(seed)``; results are put back in replication order, so they do not
depend on the executor.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import KPI_NAMES
from sim.engine.model import all_plans
from sim.experiments import tasks
from sim.experiments.executors import make_executor
from sim.experiments.folder import Arm, ExperimentFolder
from sim.scenario.schema import Scenario

KPI_COLUMNS = ("replication", "seed", *KPI_NAMES)
"""Columns of ``kpis.csv``: one row per replication."""

MAX_SEED = 2**63 - 1
"""The largest root seed (numpy's SeedSequence takes any non-negative int; JSON's int64 this)."""


def check_seed(seed: object, error: type[Exception] = ValueError, name: str = "seed") -> int:
    """A root seed as a Python int, or ``error`` naming ``name`` and the value.

    The one library-level seed rule (the CLI's ``--seed`` parsing is argparse's own):
    a whole number (a numpy integer too, not a bool) from 0 to ``2**63-1``.

    Raises
    ------
    Exception
        ``error("{name} must be a whole number from 0 to 2**63-1, got {seed!r}")``.
    """
    whole = not isinstance(seed, bool) and isinstance(seed, int | np.integer)
    if not whole or not 0 <= seed <= MAX_SEED:
        raise error(f"{name} must be a whole number from 0 to 2**63-1, got {seed!r}")
    return int(seed)


def progress_bar(desc: str, total: int = 0, progress: bool | None = None):
    """A tqdm bar on stderr counting replications.

    Parameters
    ----------
    desc : str
        The bar's label.
    total : int
        How many replications are expected (0: unknown yet).
    progress : bool or None
        True: always; None: only on a terminal; False: no bar at all (``None`` is yielded).
    """
    if progress is False:
        return contextlib.nullcontext(None)
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="rep",
        file=sys.stderr,
        disable=None if progress is None else not progress,
    )


def kpi_table(records: dict[int, dict], replications: int) -> pd.DataFrame:
    """The ``kpis.csv`` table of replications 0..n-1, in replication order."""
    return pd.DataFrame([records[r] for r in range(replications)], columns=list(KPI_COLUMNS))


def replicator(
    folder: ExperimentFolder,
    seed: int,
    executor,
    bar=None,
    tick: Callable[[], Any] | None = None,
    collect: Callable[[Arm, Any], Any] | None = None,
) -> Callable[[int], dict[str, pd.DataFrame]]:
    """``replicate(n)``: the KPI tables of replications 0..n-1 of every arm of ``folder``.

    Only the replications the folder does not hold yet are run (all of them, unless it
    was resumed); each is kept in the folder as it finishes. ``replications="auto"``
    calls ``replicate`` with growing ``n``.

    Parameters
    ----------
    folder : ExperimentFolder
        The arms, and where finished replications are kept (memory or disk).
    seed : int
        Root seed of every arm.
    executor : Executor
        From :func:`sim.experiments.make_executor`.
    bar : tqdm or None
        A progress bar (replications kept from an earlier run count as done).
    tick : callable, optional
        Called with no arguments after each replication.
    collect : callable, optional
        Called as ``collect(arm, result)`` with each finished replication's
        :class:`~sim.experiments.tasks.Replication`, once the folder has kept it (a
        region merges its counties' aggregates and writes each county's folder as
        soon as its last replication is in).

    Each arm runs with its own seed where it has one (:attr:`Arm.seed`: a region's
    counties), else with ``seed``.
    """
    arms = folder.arms
    details = folder.root is not None  # detail tables are kept only on disk
    # By arm, every network's plan (a scenario with brands has several): planned once,
    # so no replication plans or reads the plan cache.
    plans = {}

    def plan(arms_to_run: list[Arm]) -> None:
        todo = [arm for arm in arms_to_run if arm.key not in plans]
        if folder.kind != "region":  # planned here (loading the scenarios planned them)
            for arm in todo:
                plans[arm.key] = executor.share(tuple(all_plans(arm.scenario)))
            return
        # A region's counties were only loaded: plan them on the workers, in parallel.
        work = [(arm.scenario, arm.file) for arm in todo]
        for index, made in executor.map_unordered(tasks.plan_scenario, work):
            plans[todo[index].key] = executor.share(made)

    def replicate(n: int) -> dict[str, pd.DataFrame]:
        missing = [(arm, r) for arm in arms for r in range(n) if r not in folder.records[arm.key]]
        if bar is not None:
            bar.total, bar.n = len(arms) * n, len(arms) * n - len(missing)
            bar.refresh()
        # A region's counties also send what the region merges (the trailing True).
        extra = (True,) if folder.kind == "region" else ()
        plan(list({arm.key: arm for arm, _ in missing}.values()))
        work = [
            (arm.scenario, folder.seed_of(arm, seed), r, details, plans[arm.key], *extra)
            for arm, r in missing
        ]
        # Looked up at call time, so a test can stand in for the worker function.
        for index, result in executor.map_unordered(tasks.replicate_kpis, work):
            arm = missing[index][0]
            folder.save(arm.key, result.row, result.details, result.aggregates)
            if collect is not None:
                collect(arm, result)
            if bar is not None:
                bar.update()
            if tick is not None:
                tick()
        return {arm.label: kpi_table(folder.records[arm.key], n) for arm in arms}

    return replicate


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int | None = None,
    progress: Callable[[], Any] | None = None,
    *,
    executor=None,
) -> pd.DataFrame:
    """KPIs of replications 0..n-1 of a scenario, one row each (``kpis.csv``'s columns).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (``sim.load_scenario``).
    replications : int
        How many.
    seed : int, optional
        Root seed (default: the scenario's ``seed``).
    progress : callable, optional
        Called with no arguments after each replication (e.g. a tqdm update).
    executor : Executor, optional
        Where to run them (default: one after another in this process).
    """
    seed = check_seed(scenario.seed if seed is None else seed)
    folder = ExperimentFolder(None, "run", [Arm("", scenario.name, scenario)], seed, False)
    with contextlib.nullcontext(executor) if executor else make_executor() as running:
        return replicator(folder, seed, running, tick=progress)(replications)[scenario.name]
