"""One loader and one replication loop: every way in gives the same scenario and numbers."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

import sim
from sim.engine.brands import network_scenarios
from sim.engine.model import all_plans, plan_for
from sim.experiments import make_executor, run_replications, run_scenario
from sim.experiments.executors import SerialExecutor
from sim.runner import load_checked, simulate
from sim.scenario import ScenarioError, load_scenario
from tests.conftest import small_scenario

SCENARIO = "scenarios/leiyang_direct.yaml"


def test_a_file_and_a_scenario_take_overrides_alike():
    changes = ["horizon.days=3", "horizon.warmup_days=1", "hub.sorting.rate_per_h=4000"]
    from_file = load_scenario(SCENARIO, changes)
    from_object = load_scenario(load_scenario(SCENARIO), changes)
    assert from_file == from_object
    assert from_file.hub.sorting.rate_per_h == 4000
    # No overrides: the scenario itself, not a copy.
    assert load_scenario(from_file) is from_file


def test_overrides_on_a_scenario_are_checked_and_named():
    with pytest.raises(ScenarioError) as caught:
        load_checked(load_scenario(SCENARIO), ["hub.sorting.rate_per_h=0"])
    assert str(caught.value).startswith("--set: hub.sorting.rate_per_h: ")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(
            load_scenario(SCENARIO), ["hub.sorting.rate_per_h=0"], overrides_from="--vary"
        )


def test_the_loop_gives_the_same_table_on_every_executor_and_through_every_door():
    scenario = small_scenario(name="loop")
    serial = run_replications(scenario, 3, seed=11)
    with make_executor(jobs=2) as pool:
        parallel = run_replications(scenario, 3, seed=11, executor=pool)
    pd.testing.assert_frame_equal(serial, parallel)
    pd.testing.assert_frame_equal(serial, run_scenario(scenario, 3, seed=11).kpis)
    table = sim.compare([scenario, small_scenario(name="other")], replications=3, seed=11).table
    means = table[table["scenario"] == "loop"].set_index("kpi")["mean"]
    assert means["lead_time_mean_h"] == pytest.approx(serial["lead_time_mean_h"].mean())
    ticks = []
    run_replications(scenario, 2, seed=11, progress=lambda: ticks.append(1))
    assert ticks == [1, 1]


class RecordingExecutor(SerialExecutor):
    """Runs tasks here, keeping what was shared and every task it was given."""

    def __init__(self):
        self.shared, self.tasks = [], []

    def share(self, value):
        self.shared.append(value)
        return value

    def map_unordered(self, fn, tasks):
        self.tasks.extend(tasks)
        return super().map_unordered(fn, tasks)


def test_a_scenario_is_planned_once_and_its_plan_sent_with_every_task():
    scenario = small_scenario(name="once")
    recorder = RecordingExecutor()
    run_replications(scenario, 3, seed=2, executor=recorder)
    assert len(recorder.shared) == 1 and len(recorder.tasks) == 3
    # The main process's own plan (workers neither plan nor read the plan cache).
    assert {tuple(map(id, task[-1])) for task in recorder.tasks} == {(id(plan_for(scenario)),)}


def test_a_scenario_with_brands_sends_every_networks_plan_and_no_worker_plans(monkeypatch):
    """The public network's plan and each own-network brand's, in the run's order."""
    scenario = load_scenario(
        "scenarios/leiyang_status_quo.yaml", ["horizon.days=2", "horizon.warmup_days=0"]
    )
    plans = all_plans(scenario)
    assert len(plans) == len(network_scenarios(scenario)) > 2
    planned_here = simulate(scenario, seed=4)

    def no_planning(*args, **kwargs):
        raise AssertionError("a replication planned a network")

    class Worker(RecordingExecutor):
        """Runs the tasks as a worker would: planning there is an error."""

        def map_unordered(self, fn, tasks):
            with monkeypatch.context() as patch:
                patch.setattr("sim.engine.model.network_plan", no_planning)
                yield from super().map_unordered(fn, tasks)

    recorder = Worker()
    run_replications(scenario, 2, seed=4, executor=recorder)
    with monkeypatch.context() as patch:
        patch.setattr("sim.engine.model.network_plan", no_planning)
        given = simulate(scenario, seed=4, plan=pickle.loads(pickle.dumps(tuple(plans))))
    assert {tuple(map(id, task[-1])) for task in recorder.tasks} == {tuple(map(id, plans))}
    pd.testing.assert_frame_equal(planned_here.parcels, given.parcels, check_exact=True)
    pd.testing.assert_series_equal(pd.Series(planned_here.kpis), pd.Series(given.kpis))


def test_a_run_given_its_plan_is_the_run_that_plans_for_itself():
    scenario = small_scenario(name="given")
    planned_here = simulate(scenario, seed=4, replication=1)
    # A plan that crossed a process boundary: a copy, not the cached object.
    sent = pickle.loads(pickle.dumps(plan_for(scenario)))
    given = simulate(scenario, seed=4, replication=1, plan=sent)
    pd.testing.assert_frame_equal(planned_here.parcels, given.parcels, check_exact=True)
    pd.testing.assert_series_equal(pd.Series(planned_here.kpis), pd.Series(given.kpis))
