"""Exact single-server FIFO queues, optionally served only inside daily shifts.

The hub's security inspection and automated sorting line are single FIFO servers. Their
departure times follow from the Lindley recursion, which has a closed vectorised form, so a
whole batch of parcels is served in one numpy call instead of one SimPy event per parcel
(DESIGN.md, Architecture idea 3). Shifts are handled by a change of clock: arrival times are
mapped onto cumulative working hours, queued there as if the server never closed, and the
departures are mapped back to real time.

Time is float hours from day 0 00:00 throughout.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["BusyByDay", "WorkingClock", "fifo_departures", "fifo_departures_in_shifts"]

HOURS_PER_DAY = 24.0

# Working times this many ulps (relative to their magnitude) from a window boundary count as
# on it: far above the rounding of to_work and the Lindley sums, far below any real duration.
_SNAP_ULPS = 64

FloatArray = NDArray[np.float64]


def _as_1d(name: str, values: ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    return array


def _check_queue_inputs(
    arrivals: ArrayLike, service_times: ArrayLike, free_at: float
) -> tuple[FloatArray, FloatArray, float]:
    a = _as_1d("arrivals", arrivals)
    s = _as_1d("service_times", service_times)
    if a.shape != s.shape:
        raise ValueError(f"arrivals and service_times differ in length ({a.size} != {s.size})")
    if not np.isfinite(a).all():
        raise ValueError("arrivals must be finite")
    if not np.all(np.isfinite(s) & (s >= 0.0)):
        raise ValueError("service_times must be finite and non-negative")
    if np.any(a[1:] < a[:-1]):
        raise ValueError("arrivals must be sorted in nondecreasing order")
    free_at = float(free_at)
    if math.isnan(free_at):
        raise ValueError("free_at must not be NaN")
    return a, s, free_at


def _lindley(a: FloatArray, s: FloatArray, free_at: float) -> tuple[FloatArray, float]:
    """Departures of a FIFO single server; inputs are assumed already validated."""
    if a.size == 0:
        return np.empty(0, dtype=np.float64), free_at
    # Unrolling D_i = max(A_i, D_{i-1}) + S_i gives
    #     D_i = max_{j <= i} (A_j + S_j + ... + S_i) = C_i + max_{j <= i} (A_j - C_{j-1}),
    # with the server's initial busy period entering as the j = 0 term max(A_0, free_at).
    c = np.cumsum(s)
    c_prev = np.empty_like(c)
    c_prev[0] = 0.0
    c_prev[1:] = c[:-1]
    x = a - c_prev
    x[0] = max(a[0], free_at)
    departures = c + np.maximum.accumulate(x)
    # Subtracting the cumulative sum back out can land an ulp below A_i + S_i. Clamping keeps
    # the invariants the step-by-step loop has exactly (no departure before arrival plus
    # service, departures in FIFO order), which downstream stage-order checks rely on.
    np.maximum(departures, a + s, out=departures)
    np.maximum.accumulate(departures, out=departures)
    return departures, float(departures[-1])


def fifo_departures(
    arrivals: ArrayLike, service_times: ArrayLike, free_at: float = -math.inf
) -> tuple[FloatArray, float]:
    """Serve a batch through a single FIFO server and return exact departure times.

    Customer ``i`` starts service at ``max(arrivals[i], departure of i - 1)`` (the first at
    ``max(arrivals[0], free_at)``) and departs ``service_times[i]`` later. The recursion is
    evaluated in closed form, ``D = C + maximum.accumulate(A - C_prev)`` with
    ``C = cumsum(S)``, in O(n) numpy operations.

    Parameters
    ----------
    arrivals : array_like
        1-D arrival times in hours, sorted nondecreasing, finite.
    service_times : array_like
        1-D service times in hours, same length as `arrivals`, finite and non-negative.
    free_at : float, default -inf
        Time at which the server finishes work left over from earlier batches. Pass the
        ``new_free_at`` of the previous call to serve consecutive batches as one stream.

    Returns
    -------
    departures : numpy.ndarray
        Departure times, float64, same length as `arrivals`, nondecreasing.
    new_free_at : float
        Time the server becomes free after this batch: the last departure, or `free_at`
        unchanged when the batch is empty.

    Raises
    ------
    ValueError
        If the inputs are not 1-D, differ in length, are unsorted, non-finite, or have
        negative service times, or if `free_at` is NaN.

    Notes
    -----
    The result equals the step-by-step recursion up to rounding of order
    ``eps * (max |arrivals| + sum(service_times))``, because the cumulative sum is subtracted
    back out. As in the recursion, departures are nondecreasing and never earlier than
    ``arrivals + service_times``, exactly in floating point. Service start times are
    ``departures - service_times`` (up to the same rounding).

    Examples
    --------
    >>> d, free = fifo_departures([0.0, 0.0, 1.0], [0.5, 0.5, 0.5])
    >>> d.tolist(), free
    ([0.5, 1.0, 1.5], 1.5)
    """
    a, s, free_at = _check_queue_inputs(arrivals, service_times, free_at)
    return _lindley(a, s, free_at)


def _validate_windows(windows: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Check daily windows and merge ones that touch, so every closed gap has positive length."""
    merged: list[tuple[float, float]] = []
    for window in windows:
        try:
            start, end = (float(x) for x in window)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"a shift window must be a (start_h, end_h) pair, got {window!r}"
            ) from exc
        if not (0.0 <= start < end <= HOURS_PER_DAY):
            raise ValueError(f"shift window {window!r} must satisfy 0 <= start < end <= 24")
        if merged and start < merged[-1][1]:
            raise ValueError(
                f"shift windows must be sorted and non-overlapping; {window!r} starts before "
                f"the previous window ends at {merged[-1][1]}"
            )
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    if not merged:
        raise ValueError("at least one shift window is required")
    return merged


class WorkingClock:
    """Map between real time and working time accumulated inside daily shift windows.

    Working time starts at 0 at real time 0 (day 0 00:00) and advances at rate one inside the
    windows and not at all outside them; every day has the same windows. Queueing in
    working time and mapping back gives preemptive-resume service: work cut off at a
    window's end resumes at the next window's start.

    Parameters
    ----------
    windows : iterable of (float, float)
        Daily shift windows ``(start_h, end_h)`` in hours of the day with
        ``0 <= start_h < end_h <= 24``, sorted and non-overlapping. Windows that touch are
        merged; a night shift is written as ``[(0, 6), (22, 24)]``. Windows covering the
        whole day make the clock always open, where both maps are the identity.

    Raises
    ------
    ValueError
        If `windows` is empty or a window is malformed, out of range, unsorted or overlaps
        another.

    Examples
    --------
    >>> clock = WorkingClock([(8, 12), (13, 17)])
    >>> float(clock.to_work(13.5)), float(clock.to_real(4.5))
    (4.5, 13.5)
    """

    def __init__(self, windows: Iterable[tuple[float, float]]) -> None:
        merged = _validate_windows(windows)
        self._windows = tuple(merged)
        self._starts = np.array([start for start, _ in merged])
        self._ends = np.array([end for _, end in merged])
        lengths = self._ends - self._starts
        self._work_at_end = np.cumsum(lengths)
        self._work_at_start = np.concatenate(([0.0], self._work_at_end[:-1]))
        self._hours_per_day = float(self._work_at_end[-1])
        self._always_open = self._windows == ((0.0, HOURS_PER_DAY),)
        # One window (s, e) a day, the common case: inside it working time runs at rate
        # exactly 1 (its length H = e - s over e - s), so np.interp's line through the
        # knots (0, 0), (s, 0), (e, H), (24, H) is exactly min(max(tau - s, 0), H), and
        # both maps skip the search for a window (tested against the general maps).
        self._one_window = len(merged) == 1 and not self._always_open

        # Knots of the within-day map, strictly increasing in real time for np.interp.
        knots_real = [0.0]
        knots_work = [0.0]
        for start, end, w_start, w_end in zip(
            self._starts, self._ends, self._work_at_start, self._work_at_end, strict=True
        ):
            for x, y in ((start, w_start), (end, w_end)):
                if x > knots_real[-1]:
                    knots_real.append(float(x))
                    knots_work.append(float(y))
        if knots_real[-1] < HOURS_PER_DAY:
            knots_real.append(HOURS_PER_DAY)
            knots_work.append(self._hours_per_day)
        self._knots_real = np.array(knots_real)
        self._knots_work = np.array(knots_work)

    @classmethod
    def always(cls) -> WorkingClock:
        """Return a clock that is open around the clock (working time equals real time)."""
        return cls([(0.0, HOURS_PER_DAY)])

    @property
    def windows(self) -> tuple[tuple[float, float], ...]:
        """Daily windows after validation and merging of touching windows."""
        return self._windows

    @property
    def hours_per_day(self) -> float:
        """Working hours in one day."""
        return self._hours_per_day

    @property
    def is_always_open(self) -> bool:
        """Whether the windows cover the whole day."""
        return self._always_open

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self._windows)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkingClock):
            return NotImplemented
        return self._windows == other._windows

    def __hash__(self) -> int:
        return hash(self._windows)

    def to_work(self, t: ArrayLike) -> FloatArray | np.float64:
        """Working hours accumulated from real time 0 up to real time `t`.

        Parameters
        ----------
        t : array_like
            Real times in hours; any shape, may be negative (working time is then
            negative) or infinite (mapped to the same infinity).

        Returns
        -------
        numpy.ndarray or numpy.float64
            Working time, same shape as `t`; a scalar for scalar input. Nondecreasing and
            continuous in `t`, flat outside the windows.
        """
        t = np.asarray(t, dtype=np.float64)
        if self._always_open:
            return _shaped(t.copy())
        with np.errstate(invalid="ignore"):
            day = np.floor(t / HOURS_PER_DAY)
            # Rounding can leave tau an ulp outside [0, 24]; np.interp clamps it there and
            # the map is continuous across midnight, so the error stays at rounding level.
            tau = t - day * HOURS_PER_DAY
            if self._one_window:
                within = np.clip(tau - self._windows[0][0], 0.0, self._hours_per_day)
            else:
                within = np.interp(tau, self._knots_real, self._knots_work)
            work = day * self._hours_per_day + within
            work = np.where(np.isinf(t), t, work)
        return _shaped(work)

    def to_real(
        self, w: ArrayLike, side: Literal["earliest", "latest"] = "earliest"
    ) -> FloatArray | np.float64:
        """Real time at which working time `w` is reached.

        Working time stands still outside the windows, so a value reached at a window's end
        is held until the next window opens. ``side`` chooses between the two ends of that
        interval.

        Parameters
        ----------
        w : array_like
            Working times in hours; any shape, may be negative or infinite.
        side : {"earliest", "latest"}, default "earliest"
            ``"earliest"`` returns the first real time with ``to_work(t) == w``: the moment
            a job needing work up to `w` finishes, so a job ending exactly at a window's end
            departs at that end, not at the next start. A whole multiple ``k *
            hours_per_day`` therefore maps to the last close of day ``k - 1``; in
            particular ``to_real(0.0)`` is the previous evening's close, negative unless
            the last window ends at 24. ``"latest"`` returns the last such real time: the
            moment a job that may start at `w` actually starts, so ``to_real(0.0,
            side="latest")`` is the first window's start on day 0.

        Returns
        -------
        numpy.ndarray or numpy.float64
            Real times, same shape as `w`; a scalar for scalar input. Both choices satisfy
            ``to_work(to_real(w)) == w`` up to rounding. Values within a few dozen ulps
            of a window boundary are treated as on it, so rounding noise cannot move a
            departure across a closed period.

        Raises
        ------
        ValueError
            If `side` is not ``"earliest"`` or ``"latest"``.
        """
        if side not in ("earliest", "latest"):
            raise ValueError(f"side must be 'earliest' or 'latest', got {side!r}")
        w = np.asarray(w, dtype=np.float64)
        if self._always_open:
            return _shaped(w.copy())
        per_day = self._hours_per_day
        # to_real is discontinuous wherever the line is closed, so rounding noise in `w` of a
        # few ulps must not decide between "at tonight's close" and "just after tomorrow's
        # opening". Values that close to a boundary are put on the side `side` asks for.
        snap = _SNAP_ULPS * np.finfo(np.float64).eps * (np.abs(w) + per_day)
        with np.errstate(invalid="ignore"):
            if side == "earliest":
                # Work days are counted as (k H, (k+1) H]: the end of a day's work is reached
                # at that day's last close, before the next day begins.
                day = np.ceil(w / per_day) - 1.0
                rest = w - day * per_day
                day = day + (rest > per_day + snap) - (rest <= snap)
                rest = w - day * per_day
            else:
                day = np.floor(w / per_day)
                rest = w - day * per_day
                day = day + (rest >= per_day - snap) - (rest < -snap)
                rest = w - day * per_day
            if self._one_window:  # the window is k = 0, which starts at work 0
                start, end = self._windows[0]
                tau = np.clip(start + rest, start, end)
            else:
                k = np.searchsorted(
                    self._work_at_end,
                    rest - snap if side == "earliest" else rest + snap,
                    side="left" if side == "earliest" else "right",
                )
                k = np.clip(k, 0, len(self._windows) - 1)
                starts = self._starts[k]
                tau = np.clip(starts + (rest - self._work_at_start[k]), starts, self._ends[k])
            t = day * HOURS_PER_DAY + tau
            t = np.where(np.isinf(w), w, t)
        return _shaped(t)

    def working_hours(self, t0: ArrayLike, t1: ArrayLike) -> FloatArray | np.float64:
        """Working hours between real times `t0` and `t1` (negative if ``t1 < t0``).

        Parameters
        ----------
        t0, t1 : array_like
            Real times in hours, broadcastable against each other.

        Returns
        -------
        numpy.ndarray or numpy.float64
            ``to_work(t1) - to_work(t0)``; a scalar for scalar inputs.
        """
        return _shaped(np.asarray(self.to_work(t1)) - np.asarray(self.to_work(t0)))


def _shaped(values: FloatArray) -> FloatArray | np.float64:
    """Unwrap 0-d results so scalar input gives a scalar back."""
    return values[()] if values.ndim == 0 else values


class BusyByDay:
    """A server's busy working hours, booked to the day in which they were worked.

    Working day *k* is working time ``[k H, (k + 1) H)``, with *H* the clock's
    ``hours_per_day``: exactly the shifts of calendar day *k* (working time is 0 at
    day 0 00:00). Work carried over past a day's last shift is booked to the day it
    is done in, so no day is booked more than *H* hours, and the total booked equals
    the total service time.

    Parameters
    ----------
    hours_per_day : float
        Working hours in one day (``WorkingClock.hours_per_day``), positive.
    """

    def __init__(self, hours_per_day: float) -> None:
        if not (math.isfinite(hours_per_day) and hours_per_day > 0):
            raise ValueError(f"hours_per_day must be positive, got {hours_per_day!r}")
        self.hours_per_day = float(hours_per_day)
        self._hours = np.zeros(0)

    def book(self, end_work: ArrayLike, service_times: ArrayLike) -> None:
        """Book the service intervals ``[end - service, end]`` of a single FIFO server.

        Parameters
        ----------
        end_work : array_like
            Working-time departures, nondecreasing, non-negative (the server serves one
            job at a time, so the intervals do not overlap).
        service_times : array_like
            Service times in working hours, same length, non-negative.
        """
        end = _as_1d("end_work", end_work)
        service = _as_1d("service_times", service_times)
        worked = service > 0.0
        end, service = end[worked], service[worked]
        if end.size == 0:
            return
        start = end - service
        if start[0] < 0.0:
            raise ValueError("service cannot start before working time 0")
        per_day = self.hours_per_day
        first, last = int(start[0] // per_day), int(end[-1] // per_day)
        boundaries = np.arange(first, last + 2) * per_day
        # Busy time before each day boundary b: the intervals ending by b in full, plus the
        # part before b of the one interval that may straddle it (they do not overlap).
        done = np.concatenate(([0.0], np.cumsum(service)))
        j = np.searchsorted(end, boundaries, side="right")
        straddling = np.minimum(j, end.size - 1)
        partial = np.where(j < end.size, np.maximum(boundaries - start[straddling], 0.0), 0.0)
        booked = np.diff(done[j] + partial)
        if self._hours.size < last + 1:
            self._hours = np.concatenate((self._hours, np.zeros(last + 1 - self._hours.size)))
        self._hours[first : last + 1] += booked

    def per_day(self, days: int) -> FloatArray:
        """Busy hours of days ``0 … days - 1`` (work booked to later days is left out).

        Rounding can put a day an ulp above ``hours_per_day``; it is capped there.
        """
        hours = np.zeros(days)
        kept = min(days, self._hours.size)
        hours[:kept] = self._hours[:kept]
        return np.minimum(hours, self.hours_per_day)


SHORT_JOB_H = 1e-6
"""Jobs shorter than this (3.6 ms) may end where their start is reached; see
:func:`fifo_departures_in_shifts`."""


def fifo_departures_in_shifts(
    arrivals: ArrayLike,
    service_times: ArrayLike,
    clock: WorkingClock,
    free_at_work: float = -math.inf,
    busy: BusyByDay | None = None,
) -> tuple[FloatArray, float]:
    """Serve a batch through a FIFO server that works only inside the clock's shifts.

    Arrivals are mapped to working time, served there by :func:`fifo_departures`, and the
    departures mapped back to real time. Service cut off at a window's end resumes at the
    next window's start (preemptive-resume); arrivals outside the windows wait for the next
    opening.

    Parameters
    ----------
    arrivals : array_like
        1-D real arrival times in hours, sorted nondecreasing, finite.
    service_times : array_like
        1-D service times in working hours, same length, finite and non-negative.
    clock : WorkingClock
        The server's shift windows.
    free_at_work : float, default -inf
        Working time at which the server finishes earlier work; pass the previous call's
        ``new_free_at_work`` to carry state across batches.
    busy : BusyByDay, optional
        If given, the service time of this batch is booked to the days it is worked in.

    Returns
    -------
    departures : numpy.ndarray
        Real departure times, float64, same length as `arrivals`. A job with positive
        service departs at the earliest real time its work is complete; a zero-length job
        departs when service could start, i.e. at the next opening if the line is closed.
    new_free_at_work : float
        Working time at which the server becomes free (`free_at_work` if the batch is
        empty).

    Raises
    ------
    ValueError
        On the same input errors as :func:`fifo_departures`.
    """
    a, s, free_at_work = _check_queue_inputs(arrivals, service_times, free_at_work)
    # to_work is monotone, but rounding at day boundaries could put a later arrival an ulp
    # earlier in working time; the running maximum restores the order FIFO relies on.
    a_work = np.maximum.accumulate(np.asarray(clock.to_work(a)))
    d_work, new_free_at_work = _lindley(a_work, s, free_at_work)
    if busy is not None:
        busy.book(d_work, s)
    if a.size == 0:
        return d_work, new_free_at_work
    # "earliest" is right when work is actually done (d_work > start_work); for zero-length
    # jobs the start, taken as late as possible, must win, or a parcel arriving after hours
    # would leave at the previous evening's close. The max covers both cases at once. A
    # job of at least SHORT_JOB_H ends after its start was reached however late that is
    # taken (the clock snaps only within a few dozen ulps of a boundary, ~1e-10 h), so
    # the max is needed only for shorter jobs. The last two lines only guard against
    # rounding: no parcel leaves before it came, and departures stay in FIFO order.
    departures = np.asarray(clock.to_real(d_work, side="earliest"))
    short = np.flatnonzero(s < SHORT_JOB_H)
    if short.size:
        start_work = np.maximum(a_work, np.concatenate(([free_at_work], d_work[:-1])))[short]
        latest_start = clock.to_real(start_work, side="latest")
        departures[short] = np.maximum(departures[short], latest_start)
    np.maximum(departures, a, out=departures)
    np.maximum.accumulate(departures, out=departures)
    return departures, new_free_at_work
