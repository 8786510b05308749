"""A new ledger's memory is faulted in by a background thread, and nothing else changes."""

from __future__ import annotations

import mmap
import resource

import numpy as np
import pandas as pd
import pytest

import sim.engine.ledger
import sim.engine.prefault as prefault
from sim.engine.ledger import Ledger
from sim.runner import simulate
from tests.conftest import small_scenario
from tests.engine.test_ledger_growth import append_inbound

needs_populate = pytest.mark.skipif(
    prefault._MADVISE is None, reason="madvise(MADV_POPULATE_WRITE) is Linux's"
)


def fresh(nbytes: int) -> np.ndarray:
    """Float64s on an anonymous mapping of their own: no page of it touched yet."""
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=np.float64)


def faults_writing(array: np.ndarray) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    array[:] = 1.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@needs_populate
def test_faulted_in_pages_are_written_without_faults_and_keep_their_contents():
    pages = 8192  # 32 MiB
    untouched, faulted_in = fresh(pages * mmap.PAGESIZE), fresh(pages * mmap.PAGESIZE)
    faulted_in[::1000] = np.arange(faulted_in[::1000].size)  # some contents first
    worker = prefault.Prefault([faulted_in])
    worker.thread.join()
    np.testing.assert_array_equal(faulted_in[::1000], np.arange(faulted_in[::1000].size))
    assert faults_writing(untouched) >= pages // 2  # each page faults on its first write
    assert faults_writing(faulted_in) < pages // 20


@needs_populate
def test_stopped_prefault_faults_in_no_more():
    worker = prefault.Prefault([fresh(64 << 20)])
    worker.stop()
    worker.thread.join(timeout=30)
    assert not worker.thread.is_alive()


def test_small_arrays_and_other_systems_start_no_thread(monkeypatch):
    assert prefault.Prefault([np.empty(1000)]).thread is None
    monkeypatch.setattr(prefault, "_MADVISE", None)
    assert prefault.Prefault([np.empty(prefault.SMALLEST_BYTES)]).thread is None


class _NoPrefault:
    def __init__(self, arrays):
        self.thread = None

    def stop(self):
        pass


def test_a_run_is_the_same_with_or_without_prefaulting(monkeypatch):
    """The thread only faults pages in: the ledger, trips and KPIs do not change."""
    scenario = small_scenario(horizon={"days": 4, "warmup_days": 1, "drain_days": 1})
    monkeypatch.setattr(prefault, "SMALLEST_BYTES", 0)  # a thread even for this ledger
    monkeypatch.setattr(prefault, "BLOCK_ROWS", 64)  # and many calls, racing the run
    with_prefault = simulate(scenario, seed=4)
    monkeypatch.setattr(sim.engine.ledger, "Prefault", _NoPrefault)
    without = simulate(scenario, seed=4)
    pd.testing.assert_frame_equal(with_prefault.parcels, without.parcels)
    pd.testing.assert_frame_equal(with_prefault.trips, without.trips)
    assert with_prefault.kpis == pytest.approx(without.kpis, nan_ok=True, rel=0, abs=0)


def test_a_growing_ledger_stops_faulting_in_its_old_arrays(monkeypatch):
    monkeypatch.setattr(prefault, "SMALLEST_BYTES", 0)
    ledger = Ledger(capacity=16)
    first = ledger._prefault
    append_inbound(ledger, 40, 0)  # grows twice
    assert first._stopped.is_set() and ledger._prefault is not first
    np.testing.assert_array_equal(ledger.column("destination"), np.arange(40) % 7)
