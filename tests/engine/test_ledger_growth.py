"""The ledger grows when it runs out of rows and keeps every value it held.

Found by mutation testing (docs/testing.md): runs size the ledger up front, so no test
ever made it grow.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.ledger import STAGES, Ledger


def append(ledger, n, start):
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


def test_ledger_grows_and_keeps_what_it_held():
    ledger = Ledger(1)  # the minimum is 16 rows
    assert ledger.capacity == 16
    exact = Ledger(16)
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
    ledger = Ledger(32)
    for stage in STAGES:
        getattr(ledger, stage)[:] = 5.0
    rows = append(ledger, 8, 0)
    for stage in STAGES[2:]:
        assert np.isnan(getattr(ledger, stage)[rows]).all(), stage
    np.testing.assert_array_equal(ledger.t_hub[rows], np.arange(8) * 0.5 + 0.25)


def test_cold_chain_columns_are_kept_only_when_asked_for():
    plain, cold = Ledger(16), Ledger(16, cold_chain=True)
    for ledger in (plain, cold):
        append(ledger, 20, 0)  # and grows
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
