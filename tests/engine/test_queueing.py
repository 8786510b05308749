import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.engine.queueing import (
    WorkingClock,
    _lindley,
    fifo_departures,
    fifo_departures_in_shifts,
)

# ---------------------------------------------------------------------------
# Reference implementations: deliberately the obvious Python loops.
# ---------------------------------------------------------------------------


def lindley_loop(arrivals, service_times, free_at=-math.inf):
    departures = []
    free = free_at
    for a, s in zip(arrivals, service_times, strict=True):
        free = max(a, free) + s
        departures.append(free)
    return np.array(departures, dtype=float), free


# The loop below accumulates its own rounding; finishing this close to a close counts as
# finishing at it. Test data sit on a one-second grid, so genuine distances are >= 1/3600 h.
REFERENCE_SNAP = 1e-9


def finish_in_shifts(t, work, windows):
    """Walk real time window by window until `work` hours have been done from `t`."""
    day = math.floor(t / 24)
    while True:
        for start, end in windows:
            open_at, close_at = 24 * day + start, 24 * day + end
            if t >= close_at:
                continue
            t = max(t, open_at)
            if work <= close_at - t + REFERENCE_SNAP:
                finish = t + work
                return close_at if finish >= close_at - REFERENCE_SNAP else finish
            work -= close_at - t
            t = close_at
        day += 1


def shift_queue_loop(arrivals, service_times, windows):
    departures = []
    free = -math.inf
    for a, s in zip(arrivals, service_times, strict=True):
        free = finish_in_shifts(max(a, free), s, windows)
        departures.append(free)
    return np.array(departures, dtype=float)


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------


@st.composite
def queue_batch(draw, max_size=60):
    n = draw(st.integers(0, max_size))
    gaps = draw(st.lists(st.floats(0, 10), min_size=n, max_size=n))
    first = draw(st.floats(-100, 100))
    arrivals = first + np.cumsum(np.array(gaps, dtype=float))
    service = np.array(draw(st.lists(st.floats(0, 5), min_size=n, max_size=n)), dtype=float)
    return arrivals, service


free_at_values = st.one_of(st.just(-math.inf), st.floats(-200, 800))


@st.composite
def gridded_batch(draw, max_size=40):
    """Arrivals and service times on a one-second grid.

    Shift boundaries make departures discontinuous, so two correct implementations can
    only be compared where "exactly at a close" means exactly in real arithmetic.
    """
    n = draw(st.integers(0, max_size))
    seconds = draw(st.lists(st.integers(0, 200 * 3600), min_size=n, max_size=n))
    arrivals = np.sort(np.array(seconds, dtype=float)) / 3600
    service = np.array(
        draw(st.lists(st.integers(0, 12 * 3600), min_size=n, max_size=n)), dtype=float
    )
    return arrivals, service / 3600


@st.composite
def shift_windows(draw):
    """Sorted, non-touching windows on a one-minute grid (non-dyadic hours on purpose)."""
    minutes = sorted(draw(st.lists(st.integers(0, 1440), min_size=2, max_size=8, unique=True)))
    minutes = minutes[: len(minutes) // 2 * 2]
    return [(minutes[i] / 60, minutes[i + 1] / 60) for i in range(0, len(minutes), 2)]


def rounding_scale(*arrays):
    """Magnitude the vectorised form loses precision against (it subtracts cumsums)."""
    finite = [np.abs(x[np.isfinite(x)]) for x in map(np.atleast_1d, arrays)]
    return 1.0 + sum(float(x.sum()) for x in finite)


# ---------------------------------------------------------------------------
# fifo_departures
# ---------------------------------------------------------------------------


@given(queue_batch(), free_at_values)
def test_fifo_matches_reference_loop(batch, free_at):
    arrivals, service = batch
    departures, new_free_at = fifo_departures(arrivals, service, free_at)
    expected, expected_free = lindley_loop(arrivals, service, free_at)
    tol = 1e-13 * rounding_scale(arrivals, service, np.array([free_at]))
    np.testing.assert_allclose(departures, expected, rtol=0, atol=tol)
    assert departures.dtype == np.float64
    if len(arrivals) == 0:
        assert new_free_at == free_at
    else:
        assert new_free_at == pytest.approx(expected_free, rel=0, abs=tol)


@given(queue_batch(), free_at_values)
def test_fifo_no_departure_before_arrival_plus_service_and_order_kept(batch, free_at):
    arrivals, service = batch
    departures, _ = fifo_departures(arrivals, service, free_at)
    tol = 1e-13 * rounding_scale(arrivals, service, np.array([free_at]))
    assert np.all(departures >= arrivals + service - tol)
    assert np.all(np.diff(departures) >= 0)
    if len(arrivals) and free_at > -math.inf:
        assert departures[0] >= free_at + service[0] - tol


def test_fifo_hand_case_shared_arrival():
    departures, new_free_at = fifo_departures([0.0, 0.0, 1.0], [0.5, 0.5, 0.5])
    np.testing.assert_allclose(departures, [0.5, 1.0, 1.5], rtol=0, atol=1e-15)
    assert new_free_at == 1.5


def test_fifo_hand_case_busy_server_then_idle_gap():
    # Server busy until 1.5: job 1 starts 1.5 (ends 3.5), job 2 queues (ends 4.5),
    # then the server idles until job 3 arrives at 10.
    departures, new_free_at = fifo_departures([1.0, 2.0, 10.0], [2.0, 1.0, 1.0], free_at=1.5)
    np.testing.assert_allclose(departures, [3.5, 4.5, 11.0], rtol=0, atol=1e-15)
    assert new_free_at == 11.0


def test_fifo_free_at_later_than_all_arrivals():
    departures, _ = fifo_departures([0.0, 1.0], [1.0, 2.0], free_at=5.0)
    np.testing.assert_allclose(departures, [6.0, 8.0], rtol=0, atol=1e-15)


def test_fifo_empty_batch_keeps_state():
    departures, new_free_at = fifo_departures(np.array([]), np.array([]), free_at=3.25)
    assert departures.shape == (0,)
    assert new_free_at == 3.25


def test_fifo_two_batches_hand_case():
    first, free = fifo_departures([0.0, 0.2], [1.0, 1.0])
    second, free = fifo_departures([0.5, 3.0], [1.0, 1.0], free_at=free)
    np.testing.assert_allclose(first, [1.0, 2.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(second, [3.0, 4.0], rtol=0, atol=1e-15)
    assert free == 4.0


@given(queue_batch(), free_at_values, st.floats(0, 1))
def test_fifo_state_carried_across_batches_equals_one_batch(batch, free_at, split_fraction):
    arrivals, service = batch
    cut = int(split_fraction * len(arrivals))
    whole, whole_free = fifo_departures(arrivals, service, free_at)
    head, free = fifo_departures(arrivals[:cut], service[:cut], free_at)
    tail, free = fifo_departures(arrivals[cut:], service[cut:], free)
    tol = 1e-13 * rounding_scale(arrivals, service, np.array([free_at]))
    np.testing.assert_allclose(np.concatenate([head, tail]), whole, rtol=0, atol=tol)
    assert free == pytest.approx(whole_free, rel=0, abs=tol) or free == whole_free


@pytest.mark.parametrize(
    ("arrivals", "service", "free_at"),
    [
        ([1.0, 0.5], [1.0, 1.0], -math.inf),  # unsorted
        ([0.0, 1.0], [1.0, -0.1], -math.inf),  # negative service
        ([0.0, 1.0], [1.0], -math.inf),  # length mismatch
        ([[0.0, 1.0]], [[1.0, 1.0]], -math.inf),  # not 1-D
        ([0.0, math.nan], [1.0, 1.0], -math.inf),  # NaN arrival
        ([0.0, 1.0], [1.0, math.inf], -math.inf),  # infinite service
        ([0.0, 1.0], [1.0, 1.0], math.nan),  # NaN state
    ],
)
def test_fifo_rejects_bad_input(arrivals, service, free_at):
    with pytest.raises(ValueError):
        fifo_departures(arrivals, service, free_at)


# ---------------------------------------------------------------------------
# WorkingClock
# ---------------------------------------------------------------------------

TWO_SHIFTS = [(8.0, 12.0), (13.0, 17.0)]


@pytest.mark.parametrize(
    "windows",
    [
        [],
        [(8.0, 8.0)],
        [(9.0, 8.0)],
        [(-1.0, 3.0)],
        [(3.0, 24.5)],
        [(13.0, 17.0), (8.0, 12.0)],
        [(8.0, 12.0), (11.0, 14.0)],
        [(8.0,)],
        [(8.0, math.nan)],
    ],
)
def test_clock_rejects_bad_windows(windows):
    with pytest.raises(ValueError):
        WorkingClock(windows)


def test_clock_to_work_hand_values():
    clock = WorkingClock(TWO_SHIFTS)
    t = np.array([-24.0, 0.0, 8.0, 11.5, 12.0, 12.5, 13.0, 17.0, 20.0, 24.0 + 9.0, 72.0])
    expected = [-8.0, 0.0, 0.0, 3.5, 4.0, 4.0, 4.0, 8.0, 8.0, 9.0, 24.0]
    np.testing.assert_allclose(clock.to_work(t), expected, rtol=0, atol=1e-12)
    assert clock.hours_per_day == 8.0
    assert clock.working_hours(11.5, 24.0 + 9.0) == pytest.approx(5.5)
    assert clock.working_hours(9.0, 9.0 + 5 * 24.0) == pytest.approx(40.0)


def test_clock_to_real_hand_values_and_sides():
    clock = WorkingClock(TWO_SHIFTS)
    w = np.array([0.5, 3.5, 4.0, 4.5, 8.0, 9.0])
    np.testing.assert_allclose(
        clock.to_real(w), [8.5, 11.5, 12.0, 13.5, 17.0, 33.0], rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        clock.to_real(w, side="latest"), [8.5, 11.5, 13.0, 13.5, 32.0, 33.0], rtol=0, atol=1e-12
    )
    # Documented choice: "earliest" puts zero work at the previous evening's close.
    assert clock.to_real(0.0) == pytest.approx(-7.0)
    assert clock.to_real(0.0, side="latest") == pytest.approx(8.0)
    with pytest.raises(ValueError):
        clock.to_real(1.0, side="middle")


def test_clock_earliest_rule_at_window_end():
    clock = WorkingClock(TWO_SHIFTS)
    for end in (12.0, 17.0, 24.0 * 3 + 12.0):
        assert clock.to_real(clock.to_work(end)) == pytest.approx(end, abs=1e-12)


def test_clock_scalars_shapes_and_infinities():
    clock = WorkingClock(TWO_SHIFTS)
    assert isinstance(clock.to_work(9.0), float)
    assert isinstance(clock.to_real(1.0), float)
    assert clock.to_work(np.zeros((2, 3))).shape == (2, 3)
    assert clock.to_real(np.zeros((2, 3))).shape == (2, 3)
    np.testing.assert_array_equal(clock.to_work([-math.inf, math.inf]), [-math.inf, math.inf])
    np.testing.assert_array_equal(clock.to_real([-math.inf, math.inf]), [-math.inf, math.inf])


def test_clock_touching_windows_merge_and_always_open():
    assert WorkingClock([(0.0, 12.0), (12.0, 24.0)]).is_always_open
    assert WorkingClock([(8.0, 10.0), (10.0, 12.0)]).windows == ((8.0, 12.0),)
    always = WorkingClock.always()
    assert always == WorkingClock([(0, 24)])
    assert not WorkingClock(TWO_SHIFTS).is_always_open
    t = np.array([-3.7, 0.0, 5.1, 1234.5678])
    np.testing.assert_array_equal(always.to_work(t), t)
    np.testing.assert_array_equal(always.to_real(t), t)


def test_clock_night_shift_across_midnight():
    clock = WorkingClock([(0.0, 6.0), (22.0, 24.0)])
    # 22:00 day 0 to 06:00 day 1 is one continuous 8 h stretch.
    assert clock.working_hours(22.0, 30.0) == pytest.approx(8.0)
    departures, _ = fifo_departures_in_shifts([23.0], [3.0], clock)
    assert departures[0] == pytest.approx(26.0)


@given(shift_windows(), st.floats(-100, 1000))
def test_clock_to_real_inverts_to_work(windows, w):
    clock = WorkingClock(windows)
    earliest = clock.to_real(w)
    latest = clock.to_real(w, side="latest")
    assert clock.to_work(earliest) == pytest.approx(w, abs=1e-9)
    assert clock.to_work(latest) == pytest.approx(w, abs=1e-9)
    assert earliest <= latest + 1e-9


@given(shift_windows(), st.floats(-100, 1000))
def test_clock_real_time_lies_between_earliest_and_latest(windows, t):
    clock = WorkingClock(windows)
    w = clock.to_work(t)
    assert clock.to_real(w) <= t + 1e-9
    assert clock.to_real(w, side="latest") >= t - 1e-9


@given(shift_windows(), st.integers(-3, 30))
def test_clock_earliest_rule_at_every_window_end(windows, day):
    clock = WorkingClock(windows)
    for _, end in windows:
        t = 24.0 * day + end
        assert clock.to_real(clock.to_work(t)) == pytest.approx(t, abs=1e-9)


@given(shift_windows(), st.lists(st.floats(-100, 1000), min_size=1, max_size=30))
def test_clock_monotone_and_full_day_worth(windows, times):
    clock = WorkingClock(windows)
    t = np.sort(np.array(times))
    work = clock.to_work(t)
    assert np.all(np.diff(work) >= -1e-9)
    hours = sum(end - start for start, end in windows)
    np.testing.assert_allclose(clock.working_hours(t, t + 24.0), hours, rtol=0, atol=1e-9)


@st.composite
def one_window_and_times(draw):
    """One daily window (any floats, midnight ends included) and times around it, a few
    float steps off its ends and the day's ends too."""
    start = draw(st.one_of(st.just(0.0), st.floats(0.0, 23.9)))
    end = draw(st.one_of(st.just(24.0), st.floats(start + 0.01, 24.0)))
    if (start, end) == (0.0, 24.0):
        end = 23.5
    days = draw(st.lists(st.integers(-3, 400), min_size=1, max_size=20))
    times = [
        math.nextafter(
            24.0 * day + draw(st.sampled_from([start, end, 0.0, 24.0])),
            draw(st.sampled_from([-math.inf, math.inf])),
        )
        if draw(st.booleans())
        else 24.0 * day + draw(st.floats(-1.0, 25.0))
        for day in days
    ]
    times += draw(st.lists(st.sampled_from([math.inf, -math.inf, math.nan, -0.0]), max_size=3))
    return (start, end), np.array(times)


@given(one_window_and_times(), st.lists(st.floats(-1e-9, 1e-9), max_size=5))
def test_one_window_maps_equal_the_general_ones_to_the_bit(case, nudges):
    """The one-window shortcut (WorkingClock._one_window) gives what the general maps give."""
    window, t = case
    fast, general = WorkingClock([window]), WorkingClock([window])
    general._one_window = False
    assert fast._one_window
    np.testing.assert_array_equal(fast.to_work(t), general.to_work(t))
    # Working times reached, and some a hair off them (rounding noise near a window's ends).
    w = general.to_work(t)
    nudges = nudges[: w.size]
    w = np.concatenate([w, w[: len(nudges)] + np.array(nudges)])
    for side in ("earliest", "latest"):
        np.testing.assert_array_equal(fast.to_real(w, side=side), general.to_real(w, side=side))


# ---------------------------------------------------------------------------
# fifo_departures_in_shifts
# ---------------------------------------------------------------------------


def test_shift_queue_hand_cases():
    clock = WorkingClock(TWO_SHIFTS)

    def depart(arrival, service):
        return fifo_departures_in_shifts([arrival], [service], clock)[0][0]

    assert depart(11.5, 1.0) == pytest.approx(13.5)  # interrupted by lunch, resumes 13:00
    assert depart(20.0, 1.0) == pytest.approx(33.0)  # after hours: served 08:00-09:00 day 1
    assert depart(11.0, 1.0) == pytest.approx(12.0)  # ends exactly at close: leaves 12:00
    assert depart(16.0, 6.0) == pytest.approx(38.0)  # 1 h day 0, 4 h + 1 h day 1 -> 14:00
    assert depart(20.0, 0.0) == pytest.approx(32.0)  # zero work still waits for opening
    assert depart(9.0, 0.0) == pytest.approx(9.0)


def test_shift_queue_queueing_and_state_hand_case():
    clock = WorkingClock(TWO_SHIFTS)
    departures, free_work = fifo_departures_in_shifts([10.0, 10.0, 10.5], [1.0, 1.0, 1.0], clock)
    # Work clock: arrivals at 2, 2, 2.5; departures at 3, 4, 5 -> 11:00, 12:00, 13:00... 13:00
    # is 5 h of work = 1 h after lunch, i.e. 14:00.
    np.testing.assert_allclose(departures, [11.0, 12.0, 14.0], rtol=0, atol=1e-12)
    assert free_work == pytest.approx(5.0)
    later, free_work = fifo_departures_in_shifts([10.75], [2.5], clock, free_at_work=free_work)
    np.testing.assert_allclose(later, [16.5], rtol=0, atol=1e-12)
    assert free_work == pytest.approx(7.5)
    empty, same = fifo_departures_in_shifts([], [], clock, free_at_work=free_work)
    assert empty.shape == (0,)
    assert same == free_work


@given(shift_windows(), gridded_batch())
def test_shift_queue_matches_real_time_loop(windows, batch):
    arrivals, service = batch
    clock = WorkingClock(windows)
    departures, _ = fifo_departures_in_shifts(arrivals, service, clock)
    expected = shift_queue_loop(arrivals, service, windows)
    np.testing.assert_allclose(departures, expected, rtol=0, atol=1e-8)
    assert np.all(departures >= arrivals)
    assert np.all(np.diff(departures) >= 0)


def departures_with_both_ends(arrivals, service, clock, free_at_work=-math.inf):
    """The shift queue's departures taking the later of "earliest end" and "latest start"
    for every job, as fifo_departures_in_shifts did before it skipped the second for jobs
    of at least SHORT_JOB_H."""
    a_work = np.maximum.accumulate(np.asarray(clock.to_work(arrivals)))
    d_work, _ = _lindley(a_work, service, free_at_work)
    start_work = np.maximum(a_work, np.concatenate(([free_at_work], d_work[:-1])))
    departures = np.maximum(
        clock.to_real(d_work, side="earliest"), clock.to_real(start_work, side="latest")
    )
    np.maximum(departures, arrivals, out=departures)
    return np.maximum.accumulate(departures)


@st.composite
def near_boundaries(draw, windows):
    """Arrivals at and a few ulps around window ends and starts, jobs long and very short."""
    n = draw(st.integers(1, 40))
    edges = [24 * day + edge for day in range(3) for window in windows for edge in window]
    picks = draw(st.lists(st.sampled_from(edges), min_size=n, max_size=n))
    nudges = draw(st.lists(st.integers(-40, 40), min_size=n, max_size=n))
    arrivals = np.sort([t + k * math.ulp(max(t, 1.0)) for t, k in zip(picks, nudges, strict=True)])
    lengths = st.sampled_from([0.0, 1e-12, 1e-9, 5e-7, 1e-6, 1.25e-4, 0.5, 3.0])
    service = np.array(draw(st.lists(lengths, min_size=n, max_size=n)))
    return arrivals, service


@given(st.data(), shift_windows())
def test_shift_queue_departures_equal_taking_both_ends_for_every_job(data, windows):
    """Skipping the latest start for jobs of at least SHORT_JOB_H changes no departure."""
    clock = WorkingClock(windows)
    for arrivals, service in (data.draw(gridded_batch()), data.draw(near_boundaries(windows))):
        departures, _ = fifo_departures_in_shifts(arrivals, service, clock)
        expected = departures_with_both_ends(np.asarray(arrivals), service, clock)
        assert np.array_equal(departures, expected)


@given(shift_windows(), gridded_batch(), st.floats(0, 1))
def test_shift_queue_state_carried_across_batches(windows, batch, split_fraction):
    arrivals, service = batch
    clock = WorkingClock(windows)
    cut = int(split_fraction * len(arrivals))
    whole, whole_free = fifo_departures_in_shifts(arrivals, service, clock)
    head, free = fifo_departures_in_shifts(arrivals[:cut], service[:cut], clock)
    tail, free = fifo_departures_in_shifts(arrivals[cut:], service[cut:], clock, free)
    np.testing.assert_allclose(np.concatenate([head, tail]), whole, rtol=0, atol=1e-8)
    if len(arrivals):
        assert free == pytest.approx(whole_free, abs=1e-8)


@given(queue_batch(), free_at_values)
def test_shift_queue_always_open_is_plain_fifo(batch, free_at):
    arrivals, service = batch
    plain, plain_free = fifo_departures(arrivals, service, free_at)
    shifted, shifted_free = fifo_departures_in_shifts(
        arrivals, service, WorkingClock.always(), free_at
    )
    np.testing.assert_array_equal(shifted, plain)
    assert shifted_free == plain_free


# ---------------------------------------------------------------------------
# Queueing theory. One long run per model, fixed seeds.
#
# Tolerance: waits in a queue are strongly autocorrelated, so the naive standard error is
# far too small. We use batch means (50 contiguous batches of ~19,000 customers, much longer
# than the correlation time, which at rho = 0.8 is of order a few hundred customers) and
# accept |estimate - theory| <= 4 standard errors: a false failure has probability ~6e-5
# for any seed. To keep the test sharp we also require the standard error itself to be
# below 2 % of the target, so a noisy or broken simulation cannot pass by being vague.
# ---------------------------------------------------------------------------

N_CUSTOMERS = 1_000_000
WARM_UP = 50_000
N_BATCHES = 50
LAM, MU = 0.8, 1.0
RHO = LAM / MU


def batch_means(values, n_batches=N_BATCHES):
    usable = len(values) // n_batches * n_batches
    means = values[:usable].reshape(n_batches, -1).mean(axis=1)
    return means.mean(), means.std(ddof=1) / math.sqrt(n_batches)


def assert_matches_theory(values, theory):
    estimate, se = batch_means(values)
    assert se < 0.02 * theory, f"standard error {se:.4f} too large to test against {theory}"
    assert abs(estimate - theory) <= 4 * se, f"{estimate:.4f} vs {theory:.4f} (se {se:.4f})"


def simulate(service_times, rng):
    arrivals = np.cumsum(rng.exponential(1 / LAM, size=len(service_times)))
    departures, _ = fifo_departures(arrivals, service_times)
    return arrivals, departures


@pytest.fixture(scope="module")
def mm1():
    rng = np.random.default_rng(20240601)
    service = rng.exponential(1 / MU, size=N_CUSTOMERS)
    arrivals, departures = simulate(service, rng)
    return arrivals, service, departures


def test_mm1_mean_wait_in_queue(mm1):
    arrivals, service, departures = mm1
    wait = (departures - service - arrivals)[WARM_UP:]
    assert_matches_theory(wait, RHO / (MU - LAM))


def test_md1_pollaczek_khinchine():
    rng = np.random.default_rng(20240602)
    service = np.full(N_CUSTOMERS, 1 / MU)
    arrivals, departures = simulate(service, rng)
    wait = (departures - service - arrivals)[WARM_UP:]
    assert_matches_theory(wait, RHO / (2 * MU * (1 - RHO)))


def test_mg1_lognormal_pollaczek_khinchine():
    rng = np.random.default_rng(20240603)
    mean, cv = 1 / MU, 0.5
    sigma2 = math.log(1 + cv**2)
    service = rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), size=N_CUSTOMERS)
    arrivals, departures = simulate(service, rng)
    wait = (departures - service - arrivals)[WARM_UP:]
    second_moment = mean**2 * (1 + cv**2)
    assert_matches_theory(wait, LAM * second_moment / (2 * (1 - RHO)))


def number_in_system_time_average(arrivals, departures, edges):
    """Time average of N(t) = #arrivals <= t - #departures <= t over each [edges[k], edges[k+1]].

    Built from the step functions alone, independently of per-customer sojourn times.
    """
    times = np.concatenate([arrivals, departures])
    steps = np.concatenate([np.ones(len(arrivals)), -np.ones(len(departures))])
    order = np.argsort(times, kind="stable")
    times = np.clip(times[order], edges[0], edges[-1])
    level = np.cumsum(steps[order])  # N on [times[i], times[i + 1])
    area = np.concatenate([[0.0], np.cumsum(level[:-1] * np.diff(times))])
    # The cumulative area is continuous and piecewise linear in t with knots at event times;
    # repeated knots carry equal areas, so interpolation at the edges is exact.
    return np.diff(np.interp(edges, times, area)) / np.diff(edges)


def test_littles_law(mm1):
    arrivals, _, departures = mm1
    start, end = arrivals[WARM_UP], arrivals[-1]
    edges = np.linspace(start, end, N_BATCHES + 1)
    averages = number_in_system_time_average(arrivals, departures, edges)
    time_average_l = averages.mean()

    inside = (arrivals >= start) & (arrivals <= end)
    arrival_rate = inside.sum() / (end - start)
    mean_sojourn = (departures - arrivals)[inside].mean()
    # Sample-path Little's law: the two sides differ only by customers straddling the window
    # ends, a few tens of customer-hours against ~5e6 in total, so 1e-3 is generous yet would
    # catch any inconsistency between departures and the step functions.
    assert time_average_l == pytest.approx(arrival_rate * mean_sojourn, rel=1e-3)

    # And against theory, L = rho / (1 - rho) for M/M/1, with the batch-means rule above
    # applied to time batches.
    theory = RHO / (1 - RHO)
    se = averages.std(ddof=1) / math.sqrt(N_BATCHES)
    assert se < 0.02 * theory
    assert abs(time_average_l - theory) <= 4 * se
