"""The ledger grows when it runs out of rows and keeps every value it held.

Found by mutation testing (docs/testing.md): runs size the ledger up front, so no test
ever made it grow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim.engine.model
from sim.analysis.kpis import compute_kpis
from sim.engine.ledger import INBOUND_DERIVED, STAGES, Ledger
from sim.runner import simulate
from tests.conftest import small_scenario


def append(ledger, n, start):
    """Outbound-like parcels (origins and creation times of their own): cold chain only."""
    k = np.arange(start, start + n)
    return ledger.append(
        destination=k % 7,
        origin=k % 3,
        direction=1,
        flags=(k % 5).astype(np.uint8),
        t_created=k * 0.5,
        t_hub=k * 0.5 + 0.25,
        pickup_delay_h=k * 0.1,
    )


def append_inbound(ledger, n, start):
    """Inbound parcels: from the hub (origin 0), created when they reach it."""
    k = np.arange(start, start + n)
    return ledger.append(
        destination=k % 7,
        origin=0,
        direction=0,
        flags=(k % 5).astype(np.uint8),
        t_created=k * 0.5 + 0.25,
        t_hub=k * 0.5 + 0.25,
        pickup_delay_h=k * 0.1,
    )


def test_ledger_grows_and_keeps_what_it_held():
    ledger = Ledger(1, cold_chain=True)  # the minimum is 16 rows
    assert ledger.capacity == 16
    exact = Ledger(16, cold_chain=True)
    append(exact, 16, 0)  # exactly full: no need to grow
    assert exact.capacity == 16 and exact.n == 16
    first = append(ledger, 10, 0)
    ledger.t_sorted[first] = 99.0
    # 10 + 30 rows need 40: at least double (32) and at least what is needed (40).
    second = append(ledger, 30, 10)
    assert ledger.capacity == 40 and ledger.n == 40
    np.testing.assert_array_equal(second, np.arange(10, 40))
    # 40 + 1 rows: doubling (80) is more than needed (41).
    append(ledger, 1, 40)
    assert ledger.capacity == 80 and ledger.n == 41
    k = np.arange(41)
    np.testing.assert_array_equal(ledger.column("destination"), k % 7)
    np.testing.assert_array_equal(ledger.column("origin"), k % 3)
    np.testing.assert_array_equal(ledger.column("direction"), 1)
    np.testing.assert_array_equal(ledger.column("flags"), k % 5)
    np.testing.assert_array_equal(ledger.column("t_created"), k * 0.5)
    np.testing.assert_array_equal(ledger.column("t_hub"), k * 0.5 + 0.25)
    np.testing.assert_array_equal(ledger.column("pickup_delay_h"), k * 0.1)
    # A stage stamped before growing survives it; stages not reached are NaN.
    np.testing.assert_array_equal(ledger.column("t_sorted")[:10], 99.0)
    assert np.isnan(ledger.column("t_sorted")[10:]).all()
    for stage in STAGES[3:]:
        assert np.isnan(ledger.column(stage)).all()
    # Column types are kept (the ledger's memory budget depends on them).
    assert ledger.destination.dtype == np.int32 and ledger.origin.dtype == np.int32
    assert ledger.direction.dtype == np.int8 and ledger.flags.dtype == np.uint8
    frame = ledger.to_frame()
    assert len(frame) == 41 and frame.index.name == "parcel"


def test_append_marks_every_later_stage_not_reached():
    # Memory handed out by numpy may hold anything, NaN included; append must write NaN
    # into every stage after t_created and t_hub itself. Dirty the columns first.
    for ledger, add in ((Ledger(32, cold_chain=True), append), (Ledger(32), append_inbound)):
        for stage in STAGES:
            if stage in ledger.columns:
                getattr(ledger, stage)[:] = 5.0
        rows = add(ledger, 8, 0)
        for stage in STAGES[2:]:
            assert np.isnan(getattr(ledger, stage)[rows]).all(), stage
        np.testing.assert_array_equal(ledger.t_hub[rows], np.arange(8) * 0.5 + 0.25)


def test_cold_chain_columns_are_kept_only_when_asked_for():
    plain, cold = Ledger(16), Ledger(16, cold_chain=True)
    for ledger in (plain, cold):
        append_inbound(ledger, 20, 0)  # and grows
    # Without them, they read as a parcel that never reaches them would have them.
    for name in ("t_collected", "t_reached_hub", "t_shipped", "t_spoiled", "cold_since"):
        assert not hasattr(plain, name)
        assert np.isnan(plain.column(name)).all() and plain.column(name).size == 20
        assert np.isnan(cold.column(name)).all() and cold.column(name).size == 20
    for ledger in (plain, cold):
        assert (ledger.column("product") == -1).all()
        assert np.isposinf(ledger.column("spoils_at")).all()
    # Read-only: nothing can stamp a column the ledger does not keep.
    assert not plain.column("t_shipped").flags.writeable
    # Both frames have the same columns and values.
    assert plain.to_frame().equals(cold.to_frame())
    # The bytes a row takes are those of the arrays held (the memory check's estimate).
    for ledger in (plain, cold):
        held = sum(getattr(ledger, name).itemsize for name in ledger.columns)
        assert Ledger.row_bytes(cold_chain=ledger.cold_chain) == held
    assert Ledger.row_bytes() < Ledger.row_bytes(cold_chain=True)
    with pytest.raises(ValueError, match="without cold_chain"):
        plain.append(
            destination=np.zeros(1, dtype=np.int32),
            origin=0,
            direction=1,
            flags=np.zeros(1, dtype=np.uint8),
            t_created=np.zeros(1),
            t_hub=np.zeros(1),
            pickup_delay_h=np.zeros(1),
            spoils_at=np.ones(1),
        )


def _refused(ledger, **changes):
    parcel = dict(
        destination=np.zeros(2, dtype=np.int32),
        origin=0,
        direction=0,
        flags=np.zeros(2, dtype=np.uint8),
        t_created=np.array([1.0, 2.0]),
        t_hub=np.array([1.0, 2.0]),
        pickup_delay_h=np.zeros(2),
    )
    with pytest.raises(ValueError, match="only inbound parcels"):
        ledger.append(**{**parcel, **changes})


def test_without_cold_chain_origin_and_creation_are_read_from_the_hub():
    plain = Ledger(16)
    for name in INBOUND_DERIVED:
        assert not hasattr(plain, name) and name not in plain.columns
    append_inbound(plain, 20, 0)  # and grows
    t_hub = np.arange(20) * 0.5 + 0.25
    np.testing.assert_array_equal(plain.column("t_created"), t_hub)
    np.testing.assert_array_equal(plain.column("origin"), np.zeros(20))
    assert plain.column("origin").dtype == np.int32
    # A view of t_hub (no copy: a later stamp shows), and read-only.
    created = plain.column("t_created")
    assert np.shares_memory(created, plain.t_hub) and not created.flags.writeable
    assert not plain.column("origin").flags.writeable
    plain.t_hub[3] = 99.0
    assert created[3] == 99.0
    # An outbound-like parcel cannot be held: another origin or another creation time.
    before = plain.n
    _refused(plain, origin=np.array([0, 4]))
    _refused(plain, origin=2)
    _refused(plain, t_created=np.array([1.0, 1.5]))
    assert plain.n == before  # nothing appended by a refused call
    # A cold-chain ledger keeps them as given.
    cold = Ledger(16, cold_chain=True)
    append(cold, 5, 0)
    np.testing.assert_array_equal(cold.column("origin"), np.arange(5) % 3)
    np.testing.assert_array_equal(cold.column("t_created"), np.arange(5) * 0.5)


def test_row_bytes_are_the_bytes_held():
    for cold_chain in (False, True):
        ledger = Ledger(1000, cold_chain=cold_chain)
        held = sum(getattr(ledger, name).nbytes for name in ledger.columns)
        assert held == 1000 * Ledger.row_bytes(cold_chain=cold_chain)
    # origin (int32) and t_created (float64) are the 12 bytes a slim ledger saves,
    # besides the cold-chain columns (four stamps, spoils_at, cold_since: 8 bytes each;
    # product: 1).
    assert Ledger.row_bytes(cold_chain=True) - Ledger.row_bytes() == 4 + 8 + 6 * 8 + 1


def test_a_run_without_cold_chain_gives_the_frame_of_a_cold_chain_ledger(monkeypatch):
    scenario = small_scenario(horizon={"days": 2, "warmup_days": 0, "drain_days": 1})
    assert not sim.engine.model.keeps_cold_chain(scenario)
    slim = simulate(scenario, seed=5)
    monkeypatch.setattr(
        sim.engine.model, "Ledger", lambda capacity, cold_chain: Ledger(capacity, cold_chain=True)
    )
    full = simulate(scenario, seed=5)
    assert not slim.ledger.cold_chain and full.ledger.cold_chain
    assert slim.ledger.n == full.ledger.n > 0
    a, b = slim.parcels, full.parcels
    assert list(a.columns) == list(b.columns)
    for name in a.columns:
        pd.testing.assert_series_equal(a[name], b[name], check_exact=True, obj=name)
    # and the KPIs, which read the ledger through Ledger.column
    assert _same(compute_kpis(slim), compute_kpis(full))


def _same(one: dict, two: dict) -> bool:
    """Equal dictionaries of KPIs, NaN equal to NaN."""
    return one.keys() == two.keys() and all(
        one[k] == two[k] or (one[k] != one[k] and two[k] != two[k]) for k in one
    )
