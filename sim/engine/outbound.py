"""First kilometre: farm products from the village points to the outbound line-haul.

Outbound parcels are ledger rows (``direction`` OUTBOUND, ``origin`` their village
point, ``destination`` the hub). Each day villagers drop them off at the points
inside the drop-off windows; they wait in the queue of the service that passes the
point on its way back towards the hub (:mod:`sim.network.returns`), ride the same
trips as the inbound parcels (sharing their capacity), change vehicles at stations
after the cross-dock, are sorted at the hub by the outbound sorting line in its
shifts and leave on the first line-haul departure at or after their sorting.

Cold chain and spoilage: :mod:`sim.engine.coldchain` (the flow's ``cold``), shared with
inbound perishables; a perishable product's ``spoils_at`` starts at its drop-off.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from datetime import timedelta

import numpy as np

from sim.engine.demand import arrival_order, day_factor
from sim.engine.ledger import OUTBOUND, PERISHABLE, Ledger
from sim.engine.queueing import WorkingClock, fifo_departures_in_shifts
from sim.engine.streams import Streams, draw_positive
from sim.network.geography import HUB, STATION
from sim.network.returns import return_paths
from sim.scenario.schema import Outbound, Scenario


def season_factor(outbound: Outbound, scenario: Scenario, day: int) -> np.ndarray:
    """Each product's volume factor on day *day* (its season's factor inside it, else 1)."""
    start = scenario.horizon.start_date
    factors = np.ones(len(outbound.products))
    if start is None:
        return factors  # the scenario has checked that no product has a season then
    date = start + timedelta(days=day)
    for i, product in enumerate(outbound.products):
        if product.season is not None and product.season.covers(date):
            factors[i] = product.season.factor
    return factors


def drop_off_times(outbound: Outbound, day: int, rng: np.random.Generator, n: int) -> np.ndarray:
    """*n* drop-off times on day *day*, spread evenly over the drop-off windows."""
    starts = np.array([w.start for w in outbound.drop_off])
    lengths = np.array([w.end - w.start for w in outbound.drop_off])
    window = rng.choice(lengths.size, size=n, p=lengths / lengths.sum())
    return day * 24.0 + starts[window] + rng.uniform(0.0, 1.0, n) * lengths[window]


def outbound_day(scenario: Scenario, population: np.ndarray, day: int, streams: Streams):
    """One day's outbound parcels: (origin, product, drop-off time), in drop-off order.

    Per village point and product, Poisson with mean population ×
    ``outbound.parcels_per_capita_day`` × the product's share × its season factor × the
    day's weekday and peak factors (as for inbound). One stream, ``outbound``, of its
    own: the inbound parcels are the same with or without outbound ones.
    """
    outbound = scenario.outbound
    rng = streams.day("outbound", day)
    shares = np.array([p.share for p in outbound.products])
    factor = day_factor(scenario.demand, day, scenario.horizon.weekday_offset)
    per_product = shares * season_factor(outbound, scenario, day) * factor
    mean = np.outer(np.asarray(population, float) * outbound.parcels_per_capita_day, per_product)
    counts = rng.poisson(mean)  # places × products
    places, products = np.nonzero(counts)
    repeat = counts[places, products]
    origin = np.repeat(places.astype(np.int32), repeat)
    product = np.repeat(products.astype(np.int8), repeat)
    times = drop_off_times(outbound, day, rng, origin.size)
    order = arrival_order(times)
    return origin[order], product[order], times[order]


class OutboundHub:
    """The hub's outbound sorting line and its line-haul departures."""

    def __init__(self, outbound: Outbound, rng: np.random.Generator) -> None:
        self.sorting = outbound.sorting
        self.clock = WorkingClock([(s.start, s.end) for s in outbound.sorting.shifts])
        self.free_at_work = -np.inf
        self.departures = np.array(outbound.linehaul_departures)
        self.rng = rng

    def next_departure(self, ready: np.ndarray) -> np.ndarray:
        """The first line-haul departure at or after each time in *ready*."""
        day = np.floor(ready / 24.0)
        times = day[:, None] * 24.0 + self.departures[None, :]
        later = np.where(times >= ready[:, None] - 1e-9, times, np.inf).min(axis=1)
        return np.where(np.isfinite(later), later, (day + 1) * 24.0 + self.departures[0])

    def receive(self, ledger: Ledger, rows: np.ndarray, when: float) -> None:
        """Parcels reach the hub at *when*: sorted FIFO in the shifts, then shipped or spoiled."""
        if not rows.size:
            return
        ledger.t_reached_hub[rows] = when
        sorting = self.sorting
        service = draw_positive(
            self.rng, sorting.service, 1.0 / sorting.rate_per_h, sorting.cv, rows.size
        )
        done, self.free_at_work = fifo_departures_in_shifts(
            np.full(rows.size, when), service, self.clock, self.free_at_work
        )
        ledger.t_sorted[rows] = done
        leaves = self.next_departure(done)
        # The hub has no cold room: a perishable parcel spoils if it does before the truck leaves.
        spoiled = ledger.spoils_at[rows] < leaves
        ledger.t_spoiled[rows[spoiled]] = ledger.spoils_at[rows[spoiled]]
        ledger.t_shipped[rows[~spoiled]] = leaves[~spoiled]


class OutboundFlow:
    """The outbound parcels' part of a :class:`sim.engine.trips.ParcelFlow`.

    The flow calls it where outbound parcels differ from inbound ones: which queue
    they wait in (the return path of their origin), what happens when they alight
    (cross-dock at a station, sorting at the hub), the cold chain and spoilage.
    """

    def __init__(self, scenario: Scenario, flow, streams: Streams) -> None:
        self.scenario = scenario
        # The flow holds this object: a plain reference back would make a cycle that
        # keeps the run's ledger alive until the garbage collector finds it.
        self.flow = weakref.proxy(flow)
        self.ledger = flow.ledger
        plan = flow.plan
        self.paths = return_paths(plan)
        self.hub = OutboundHub(scenario.outbound, streams["outbound_sorting"])
        # The queues outbound parcels wait in, per service: where a trip may find some.
        boards = self.paths.service >= 0
        self.queues_of: dict[int, list[int]] = defaultdict(list)
        pairs = zip(
            self.paths.service[boards].tolist(), self.paths.board[boards].tolist(), strict=True
        )
        for service, board in sorted(set(pairs)):
            self.queues_of[service].append(int(flow.queue_base[service] + board))

    def enqueue(self, rows: np.ndarray, legs: np.ndarray, ready: np.ndarray) -> None:
        """Put outbound parcels in the queue of the leg back they ride next."""
        if not rows.size:
            return
        origin = self.ledger.column("origin")[rows]
        service = self.paths.service[origin, legs]
        queue = self.flow.queue_base[service] + self.paths.board[origin, legs]
        alight = self.paths.alight[origin, legs].astype(np.int16)
        self.flow.add_to_queues(rows, legs, queue, alight, ready, np.full(rows.size, np.inf))

    def waiting_for(self, service: int, now: float) -> int:
        """Outbound parcels dropped off by *now* that a trip of *service* would collect."""
        count = 0
        for queue_id in self.queues_of.get(service, ()):
            self.flow.cold.purge(queue_id, now)
            queue = self.flow.queues[queue_id]
            if len(queue):
                count += int(np.count_nonzero(queue.ready <= now))
        return count

    def boarded(self, rows: np.ndarray, now: float) -> int:
        """Parcels boarded a vehicle at *now*: returns how many of them are outbound."""
        ledger = self.ledger
        rows = rows[ledger.direction[rows] == OUTBOUND]
        first = np.isnan(ledger.t_collected[rows])
        ledger.t_collected[rows[first]] = now
        return rows.size

    def arrive(self, rows: np.ndarray, legs: np.ndarray, place: int, when: float) -> None:
        """Outbound parcels alight at *place*: spoiled, sorted at the hub, or on to the next leg."""
        fresh = self.flow.cold.alighted(rows, when)
        rows, legs = rows[fresh], legs[fresh]
        if place == HUB:
            self.hub.receive(self.ledger, rows, when)
            return
        if self.flow.level[place] == STATION:
            self.flow.cold.chill(rows, place, when)
        self.enqueue(rows, legs + 1, np.full(rows.size, when + self.flow.crossdock_h))

    def in_network(self, now: float) -> dict[str, int]:
        """Outbound parcels still in the network at *now*, where they are."""
        ledger, n = self.ledger, self.ledger.n
        outbound = ledger.direction[:n] == OUTBOUND
        waiting = sum(
            int(np.count_nonzero(ledger.direction[q.rows] == OUTBOUND)) for q in self.flow.queues
        )
        aboard = sum(p.outbound_aboard for p in self.flow.under_way.values())
        gone = (ledger.t_shipped[:n] <= now) | (ledger.t_spoiled[:n] <= now)
        at_hub = outbound & ~np.isnan(ledger.t_reached_hub[:n]) & ~gone
        return {
            "outbound_waiting": waiting,
            "outbound_on_vehicles": aboard,
            "outbound_at_hub": int(np.count_nonzero(at_hub)),
        }


def receive_outbound(env, scenario: Scenario, plan, ledger: Ledger, flow, streams: Streams):
    """Each day at midnight: that day's outbound parcels, queued from their drop-off time."""
    products = scenario.outbound.products
    shelf = np.array([p.shelf_life_h if p.perishable else np.inf for p in products])
    perishable = np.array([p.perishable for p in products])
    population = plan.geography.population
    for day in range(scenario.horizon.days):
        if day * 24.0 > env.now:
            yield env.timeout(day * 24.0 - env.now)
        origin, product, dropped = outbound_day(scenario, population, day, streams)
        rows = ledger.append(
            destination=np.full(origin.size, HUB, dtype=np.int32),
            origin=origin,
            direction=OUTBOUND,
            flags=perishable[product] * np.uint8(PERISHABLE),
            t_created=dropped,
            t_hub=np.full(origin.size, np.nan),
            pickup_delay_h=np.zeros(origin.size),
            product=product,
            spoils_at=dropped + shelf[product],
        )
        flow.outbound.enqueue(rows, np.zeros(rows.size, dtype=np.int8), dropped)
