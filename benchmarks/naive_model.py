"""The yardstick for speed: a naive SimPy model with one process per parcel.

Usage::

    python benchmarks/naive_model.py                   # the benchmark county, 5 days
    python benchmarks/naive_model.py --days 10

ruralsim's design (docs: "Parcels are rows, not processes") is measured against the
obvious way to write the model: every parcel a SimPy process that arrives at the hub,
queues for the sorting line (a ``simpy.Resource``), then for each leg of its path
waits for its service's next departure and rides to its stop. It takes the same
parcels (the engine's demand draws), the same plan and the same timetables, and
leaves out what would only slow it further (vehicle capacity, handling, pickup), so
its rate flatters it. Only the event loop is timed, not building the scenario, the
plan or the parcels.
"""

from __future__ import annotations

import argparse
import bisect
import time
from pathlib import Path

import numpy as np
import simpy

from sim import load_scenario
from sim.engine.demand import base_daily_parcels, inbound_day
from sim.engine.model import plan_for
from sim.engine.streams import Streams

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "bench_county_year.yaml"


def _legs(plan) -> dict[int, list[tuple[list[float], float]]]:
    """Per village point: per leg, its service's daily departures and the ride in hours."""
    legs = {}
    for p in plan.geography.points:
        path = []
        for k in range(plan.leg_service.shape[1]):
            service = plan.services[plan.leg_service[p, k]]
            board, alight = int(plan.leg_board[p, k]), int(plan.leg_alight[p, k])
            ride = sum(service.leg_h[board:alight]) + service.stop_h * (alight - board)
            path.append((sorted(d % 24.0 for d in service.departures_h), ride))
        legs[int(p)] = path
    return legs


def _next_departure(departures: list[float], now: float) -> float:
    day, clock = divmod(now, 24.0)
    i = bisect.bisect_left(departures, clock)
    return day * 24.0 + departures[i] if i < len(departures) else (day + 1) * 24.0 + departures[0]


def parcel(env, t_hub, path, sorter, sort_h, delivered, row):
    """One parcel: to the hub, through the sorter, then leg by leg to its village."""
    yield env.timeout(t_hub - env.now)
    with sorter.request() as turn:
        yield turn
        yield env.timeout(sort_h)
    for departures, ride_h in path:
        yield env.timeout(_next_departure(departures, env.now) - env.now + ride_h)
    delivered[row] = env.now


def naive_rate(days: int, seed: int = 1, scenario_path: Path = SCENARIO) -> dict:
    """Simulate *days* days naively; parcels, wall and CPU seconds, parcels per second."""
    scenario = load_scenario(scenario_path, [f"horizon.days={days}", "horizon.warmup_days=0"])
    plan = plan_for(scenario)
    legs = _legs(plan)
    base = base_daily_parcels(scenario.demand, plan.geography.population)
    streams = Streams(seed, 0)
    arrivals = [inbound_day(scenario.demand, base, day, streams) for day in range(days)]
    total = sum(a.destination.size for a in arrivals)
    delivered = np.full(total, np.nan)
    env = simpy.Environment()
    sorter = simpy.Resource(env, capacity=1)
    sort_h = 1.0 / scenario.hub.sorting.rate_per_h

    def each_day():
        row = 0
        for day, parcels in enumerate(arrivals):
            yield env.timeout(day * 24.0 - env.now)
            for destination, t_hub in zip(
                parcels.destination.tolist(), parcels.t_hub.tolist(), strict=True
            ):
                env.process(parcel(env, t_hub, legs[destination], sorter, sort_h, delivered, row))
                row += 1

    env.process(each_day())
    start, cpu = time.perf_counter(), time.process_time()
    env.run(until=(days + scenario.horizon.drain_days) * 24.0)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"parcels": total, "wall_s": wall, "cpu_s": cpu, "parcels_per_s": total / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args()
    r = naive_rate(args.days)
    print(
        f"naive model, {args.days} days: {r['parcels']:,} parcels in {r['wall_s']:.2f} s "
        f"= {r['parcels_per_s']:,.0f} parcels/s"
    )


if __name__ == "__main__":
    main()
