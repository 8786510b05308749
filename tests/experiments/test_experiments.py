"""sim.compare, sim.sweep and warm-up from Python: common random numbers, executors, checks."""

from __future__ import annotations

import gc
import json
import time

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import sim
from sim import KPI_NAMES, run_replications
from sim.analysis.compare import COMPARISON_COLUMNS, comparison_table
from sim.experiments import ExperimentError, compare, make_executor, sweep, warmup
from sim.experiments.executors import DaskExecutor, PoolExecutor, SerialExecutor
from tests.conftest import small_scenario


def direct():
    return small_scenario(name="direct", delivery={"model": "direct"})


def via():
    return small_scenario(name="via", delivery={"model": "via_township"})


def test_compare_returns_the_long_table_with_common_random_numbers():
    table = sim.compare([direct(), via()], replications=3, seed=5).table
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert len(table) == 2 * len(KPI_NAMES)
    assert table["scenario"].tolist() == ["direct"] * len(KPI_NAMES) + ["via"] * len(KPI_NAMES)
    rows = table.set_index(["scenario", "kpi"])
    assert rows.loc[("direct", "lead_time_mean_h"), ["diff", "p_value"]].isna().all()
    # The same parcels in both: the demand KPI is identical replication by replication.
    generated = rows.loc[("via", "parcels_generated")]
    assert (generated["diff"], generated["diff_ci_low"], generated["diff_ci_high"]) == (0, 0, 0)
    # Each scenario's numbers are exactly those of run_replications with the seed.
    expected = run_replications(via(), 3, seed=5)["lead_time_mean_h"]
    assert rows.loc[("via", "lead_time_mean_h"), "mean"] == pytest.approx(expected.mean(), 1e-15)


def test_common_random_numbers_reduce_the_variance_of_differences():
    n = 20
    crn = compare([direct(), via()], replications=n, seed=1).kpis
    independent = {
        "direct": run_replications(direct(), n, seed=1),
        "via": run_replications(via(), n, seed=2),  # another seed: independent demand
    }
    for kpi in ("door_time_mean_h", "cost_per_parcel_cny"):
        paired = np.var(crn["via"][kpi] - crn["direct"][kpi], ddof=1)
        unpaired = np.var(independent["via"][kpi] - independent["direct"][kpi], ddof=1)
        assert paired < 0.5 * unpaired, kpi
    # So the interval of the difference is narrower, with the same replications.
    tables = [comparison_table(t).set_index(["scenario", "kpi"]) for t in (crn, independent)]
    width = [t.loc[("via", "door_time_mean_h")] for t in tables]
    assert (width[0]["diff_ci_high"] - width[0]["diff_ci_low"]) < (
        width[1]["diff_ci_high"] - width[1]["diff_ci_low"]
    )


def test_all_executors_give_identical_tables():
    serial = compare([direct(), via()], replications=4, seed=3)
    pooled = compare([direct(), via()], replications=4, seed=3, jobs=2)
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        on_dask = compare([direct(), via()], replications=4, seed=3, dask=client)
        assert not client.status == "closed"  # a client passed in is left open
    assert pooled.executor == "process pool, 2 jobs" and on_dask.executor.startswith("dask")
    for other in (pooled, on_dask):
        pd.testing.assert_frame_equal(serial.table, other.table, check_exact=True)
        for name in ("direct", "via"):
            pd.testing.assert_frame_equal(serial.kpis[name], other.kpis[name], check_exact=True)


def slow_product(a: int, b: int, pause: float) -> int:
    """A task whose duration is set by the caller (later tasks finish first)."""
    time.sleep(pause)
    return a * b


@pytest.mark.parametrize("executor", ["serial", "pool", "dask"])
def test_executors_return_every_result_under_its_index(executor):
    tasks = [(i, i + 1, 0.04 * (5 - i)) for i in range(6)]
    make = {
        "serial": SerialExecutor,
        "pool": lambda: PoolExecutor(2),
        "dask": lambda: DaskExecutor("local", workers=2),
    }[executor]
    with make() as run:
        order = [index for index, _ in run.map_unordered(slow_product, [(0, 0, 0.0)] * 2)]
        found = list(run.map_unordered(slow_product, tasks))
        assert dict(found) == {i: i * (i + 1) for i in range(6)}
        assert dict(run.map_unordered(slow_product, [])) == {}
    if executor != "serial":  # the test is worth something only if order really changes
        assert [index for index, _ in found] != list(range(6))
    assert sorted(order) == [0, 1]


def frozen_objects(_: int) -> int:
    return gc.get_freeze_count()


def test_pool_workers_leave_their_loaded_modules_out_of_garbage_collection():
    with PoolExecutor(2) as run:
        frozen = dict(run.map_unordered(frozen_objects, [(0,), (1,)]))
    assert min(frozen.values()) > 10_000  # numpy, pandas, simpy ... loaded before the task


def test_make_executor_choices_and_errors():
    assert make_executor().description == "serial"
    assert make_executor(1).description == "serial"
    assert isinstance(make_executor(3), PoolExecutor)
    with pytest.raises(ExperimentError, match="at least 1"):
        make_executor(0)
    with pytest.raises(ExperimentError, match="--jobs sets the workers of --dask local"):
        make_executor(2, "tcp://127.0.0.1:8786")
    with pytest.raises(ExperimentError, match="cannot connect to the Dask scheduler"):
        make_executor(None, "no-port-here")


def test_auto_replications_is_deterministic_across_executors():
    kwargs = {"replications": "auto", "seed": 2, "kpis": ["door_time_mean_h"]}
    serial = compare([direct(), via()], precision=0.02, **kwargs)
    pooled = compare([direct(), via()], precision=0.02, jobs=2, **kwargs)
    assert serial.sequential.reached and serial.replications == 30  # steps of 5
    assert serial.sequential.steps == (5, 10, 15, 20, 25, 30)
    assert serial.replications == pooled.replications
    pd.testing.assert_frame_equal(serial.table, pooled.table, check_exact=True)
    capped = compare([direct(), via()], precision=1e-6, max_replications=7, **kwargs)
    assert (capped.replications, capped.sequential.reached) == (7, False)
    assert capped.sequential.steps == (5, 7)


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (lambda: sim.compare([direct()]), "at least two scenarios"),
        (lambda: sim.compare([direct(), direct()]), "both named 'direct'"),
        (lambda: sim.compare([direct(), via()], replications=1), "at least 2"),
        (lambda: sim.compare([direct(), via()], replications="many"), "whole number or 'auto'"),
        (lambda: sim.compare([direct(), via()], precision=0.1), "only with replications='auto'"),
        (lambda: sim.compare([direct(), via()], kpis=["speed"]), "unknown KPI speed"),
        (lambda: sim.compare([direct(), via()], seed=-1), "seed must be"),
        (lambda: sim.compare([direct(), via()], resume=True), "resume needs a results folder"),
        (
            lambda: sim.compare([direct(), small_scenario(name="comparison.csv")]),
            "cannot name a results folder",
        ),
    ],
)
def test_bad_comparisons_are_refused(call, phrase):
    with pytest.raises(ExperimentError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        call()


@pytest.mark.parametrize("name", ["../x", "/home/me/thesis", ".hidden"])
def test_a_scenario_built_in_code_cannot_carry_a_path_as_its_name(name):
    # The name becomes a results folder: the schema refuses it before any experiment.
    with pytest.raises(ValidationError, match="results folder name"):
        small_scenario(name=name)


def test_results_folder_rules(tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ExperimentError, match="not a folder"):
        sim.compare([direct(), via()], replications=2, out=file)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(ExperimentError, match="not a ruralsim results folder"):
        sim.compare([direct(), via()], replications=2, out=foreign)
    assert [p.name for p in foreign.iterdir()] == ["thesis.tex"]
    # A results folder is started afresh without resume.
    out = tmp_path / "cmp"
    sim.compare([direct(), via()], replications=3, out=out)
    sim.compare([direct(), via()], replications=2, out=out)
    assert sorted(p.name for p in (out / "via" / "replications").iterdir()) == [
        "r0000.json",
        "r0001.json",
    ]


def test_resume_extends_and_refuses_a_different_experiment(tmp_path, monkeypatch):
    out = tmp_path / "cmp"
    first = sim.compare([direct(), via()], replications=2, seed=4, out=out)
    calls = []
    import sim.experiments.tasks as tasks

    real = tasks.replicate_kpis
    monkeypatch.setattr(tasks, "replicate_kpis", lambda *a: calls.append(a[1:3]) or real(*a))
    more = compare([direct(), via()], replications=4, seed=4, out=out, resume=True)
    assert sorted(calls) == [(4, 2), (4, 2), (4, 3), (4, 3)]  # only the new replications
    assert more.reused == 4 and more.replications == 4
    fresh = sim.compare([direct(), via()], replications=4, seed=4).table
    pd.testing.assert_frame_equal(more.table, fresh, check_exact=True)
    assert not first.table.equals(fresh)
    with pytest.raises(ExperimentError, match="run with seed 4, not 5"):
        sim.compare([direct(), via()], replications=4, seed=5, out=out, resume=True)
    changed = small_scenario(name="via", delivery={"model": "via_township"}, seed=99)
    with pytest.raises(
        ExperimentError,
        match=r"scenario via differs from the one it was run with \(seed: \d+ -> 99\)",
    ):
        sim.compare([direct(), changed], replications=4, seed=4, out=out, resume=True)
    busier = small_scenario(
        name="via", delivery={"model": "via_township"}, hub={"sorting": {"rate_per_h": 999}}
    )
    with pytest.raises(ExperimentError, match=r"hub\.sorting\.rate_per_h: 8000\.0 -> 999\.0"):
        sim.compare([direct(), busier], replications=4, seed=4, out=out, resume=True)
    with pytest.raises(ExperimentError, match="holds direct, via, not via, direct"):
        sim.compare([via(), direct()], replications=4, seed=4, out=out, resume=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["replications"] == 4


def test_sweep_is_a_full_factorial_with_common_random_numbers(tmp_path):
    result = sweep(
        small_scenario(),
        {"hub.sorting.rate_per_h": [300, 8000], "delivery.model": ["direct", "via_township"]},
        replications=3,
        seed=2,
        points=[{"hub.sorting.rate_per_h": 50, "delivery.model": "direct"}],
        out=tmp_path / "sweep",
    )
    table = result.table
    assert list(table.columns) == [
        "hub.sorting.rate_per_h",
        "delivery.model",
        "kpi",
        "mean",
        "ci_low",
        "ci_high",
        "n",
    ]
    assert len(table) == 5 * len(KPI_NAMES)
    assert result.points.index.tolist() == ["p000", "p001", "p002", "p003", "p004"]
    assert result.points["delivery.model"].tolist() == [
        "direct",
        "via_township",
        "direct",
        "via_township",
        "direct",
    ]
    # Same seed at every point: the same parcels, replication by replication.
    generated = result.kpis.pivot_table(
        index="replication", columns="hub.sorting.rate_per_h", values="parcels_generated"
    )
    assert (generated.nunique(axis=1) == 1).all()
    busy = table[table["kpi"] == "sorting_utilization"].set_index("hub.sorting.rate_per_h")
    assert busy.loc[50, "mean"] > busy.loc[300, "mean"].min()  # a slow sorter is busier
    assert busy.loc[300, "mean"].min() > busy.loc[8000, "mean"].max()
    written = pd.read_csv(tmp_path / "sweep" / "sweep.csv")
    assert written.shape == table.shape and len(pd.read_csv(tmp_path / "sweep" / "kpis.csv")) == 15
    assert sim.sweep(
        small_scenario(),
        {"hub.sorting.rate_per_h": [300, 8000], "delivery.model": ["direct", "via_township"]},
        replications=3,
        seed=2,
        points=[{"hub.sorting.rate_per_h": 50, "delivery.model": "direct"}],
    ).table.equals(table)


def test_bad_sweep_points_are_named():
    with pytest.raises(ExperimentError, match=r"sweep point p001 \(hub.sorting.rate_per_h=0\)"):
        sim.sweep(small_scenario(), {"hub.sorting.rate_per_h": [100, 0]}, replications=1)
    with pytest.raises(ExperimentError, match="either a sweep design file"):
        sim.sweep(small_scenario(), {"a": [1]}, design="x.yaml")


def test_warmup_suggests_whole_batches():
    result = warmup(small_scenario(), replications=2, days=20, seed=1)
    assert result.series["day"].tolist() == list(range(20))
    assert result.series["replications"].eq(2).all()
    assert result.suggested_warmup_days in (0, 5, 10)
    assert result.suggested_warmup_days == result.mser.truncation
    assert "suggested horizon.warmup_days" in result.report()
    with pytest.raises(ExperimentError, match="at least 20"):
        warmup(small_scenario(), days=19)


def test_the_sweep_report_fits_100_columns_and_explains_its_plus_minus():
    result = sweep(
        small_scenario(),
        {"hub.sorting.rate_per_h": [300, 1000, 3000, 8000, 20000]},
        replications=2,
        seed=2,
    )
    lines = result.report().splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[-1] == "(mean ± half-width of its 95% confidence interval over the replications)"
    # five points: a block of four and a block of one, each headed by its points
    headers = [line.split() for line in lines if line.startswith("KPI ")]
    assert headers == [["KPI", "p000", "p001", "p002", "p003"], ["KPI", "p004"]]
    assert "p002  hub.sorting.rate_per_h=3000" in lines


def test_run_and_compare_reports_give_a_title_after_the_name():
    from sim.experiments import run_scenario

    titled = small_scenario(name="sc_titled", title="Via the township stations")
    first = run_scenario(titled, replications=1, seed=2).report().splitlines()[0]
    assert first == "sc_titled — Via the township stations: 1 replication(s), seed 2"
    plain = run_scenario(small_scenario(name="sc_plain"), replications=1, seed=2)
    assert plain.report().splitlines()[0] == "sc_plain: 1 replication(s), seed 2"
    lines = compare([small_scenario(name="sc_plain"), titled], 2, seed=2).report().splitlines()
    assert "[2] sc_titled — Via the township stations" in lines
    assert "[1] sc_plain (reference)" in lines
