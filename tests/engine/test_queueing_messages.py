"""What the exact queues say when given bad input, and the clock's identity.

Found by mutation testing (docs/testing.md): the queueing tests checked that bad
input raises ValueError, not what the message tells the caller; WorkingClock's repr
and hash had no test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.engine.queueing import WorkingClock, fifo_departures


@pytest.mark.parametrize(
    ("arrivals", "service", "free_at", "message"),
    [
        ([[1.0, 2.0]], [1.0, 1.0], -math.inf, "arrivals must be a 1-D array, got shape (1, 2)"),
        (
            [1.0, 2.0],
            [[1.0, 1.0]],
            -math.inf,
            "service_times must be a 1-D array, got shape (1, 2)",
        ),
        ([1.0, 2.0], [1.0], -math.inf, "arrivals and service_times differ in length (2 != 1)"),
        ([1.0, math.inf], [1.0, 1.0], -math.inf, "arrivals must be finite"),
        ([1.0, 2.0], [1.0, -1.0], -math.inf, "service_times must be finite and non-negative"),
        ([2.0, 1.0], [1.0, 1.0], -math.inf, "arrivals must be sorted in nondecreasing order"),
        # Out of order later on, not only against the first arrival.
        ([1.0, 3.0, 2.0], [1.0] * 3, -math.inf, "arrivals must be sorted in nondecreasing order"),
        ([1.0, 2.0], [1.0, 1.0], math.nan, "free_at must not be NaN"),
    ],
)
def test_fifo_bad_input_messages(arrivals, service, free_at, message):
    with pytest.raises(ValueError) as error:
        fifo_departures(np.array(arrivals), np.array(service), free_at)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ([(8.0,)], "a shift window must be a (start_h, end_h) pair, got (8.0,)"),
        ([(8.0, 25.0)], "shift window (8.0, 25.0) must satisfy 0 <= start < end <= 24"),
        (
            [(8.0, 12.0), (11.0, 14.0)],
            "shift windows must be sorted and non-overlapping; (11.0, 14.0) starts before "
            "the previous window ends at 12.0",
        ),
        ([], "at least one shift window is required"),
    ],
)
def test_shift_window_messages(windows, message):
    with pytest.raises(ValueError) as error:
        WorkingClock(windows)
    assert str(error.value) == message


def test_to_real_side_message():
    with pytest.raises(ValueError) as error:
        WorkingClock([(8.0, 12.0)]).to_real(1.0, side="x")
    assert str(error.value) == "side must be 'earliest' or 'latest', got 'x'"


def test_clock_repr_and_hash():
    # Touching windows merge into one: (8, 12) + (12, 14) is (8, 14).
    clock = WorkingClock([(8.0, 12.0), (12.0, 14.0)])
    assert repr(clock) == "WorkingClock([(8.0, 14.0)])"
    assert hash(clock) == hash(WorkingClock([(8.0, 14.0)])) == hash(((8.0, 14.0),))
