"""Reading the ledger a block of rows at a time gives what reading it whole gives."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.rows import chunked_mask, gather_hours, row_chunks
from sim.engine.ledger import Ledger


@pytest.mark.parametrize(("n", "size"), [(0, 3), (1, 3), (9, 3), (10, 3), (10, 100)])
def test_row_chunks_cover_every_row_once_in_order(n, size):
    blocks = list(row_chunks(n, size))
    assert np.concatenate([np.arange(n)[b] for b in blocks] or [[]]).tolist() == list(range(n))
    assert all(0 < b.stop - b.start <= size for b in blocks)


@pytest.mark.parametrize("chunk_rows", [1, 4, 1000])
def test_gathered_hours_and_masks_equal_whole_column_arithmetic(chunk_rows, monkeypatch):
    monkeypatch.setattr("sim.analysis.rows.CHUNK_ROWS", chunk_rows)
    rng = np.random.default_rng(4)
    n = 37
    ledger = Ledger(n)
    t_hub = rng.uniform(0.0, 48.0, n)
    ledger.append(
        destination=rng.integers(1, 5, n),
        origin=0,
        direction=0,
        flags=np.zeros(n, dtype=np.uint8),
        t_created=t_hub,
        t_hub=t_hub,
        pickup_delay_h=np.zeros(n),
    )
    ledger.t_at_point[:n] = np.where(rng.random(n) < 0.3, np.nan, ledger.t_hub[:n] + 5.5)
    mask = rng.random(n) < 0.6
    hours = gather_hours(ledger, mask, "t_at_point")
    expected = (ledger.column("t_at_point") - ledger.column("t_hub"))[mask]
    np.testing.assert_array_equal(hours, expected)  # NaN where not delivered, in row order
    assert np.isnan(hours).sum() == np.isnan(ledger.column("t_at_point")[mask]).sum()
    np.testing.assert_allclose(hours[~np.isnan(hours)], 5.5)
    late = chunked_mask(n, lambda rows: ledger.column("t_hub")[rows] > 24.0)
    np.testing.assert_array_equal(late, ledger.column("t_hub") > 24.0)
