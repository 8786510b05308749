"""Model assembly: build the plan, wire the processes, run one replication."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from sim.engine.brands import NetworkSpec, assign_brands, brand_table, network_scenarios
from sim.engine.coldchain import ColdChain
from sim.engine.demand import (
    base_daily_parcels,
    expected_parcels,
    inbound_day,
    peak_factor,
    urban_daily_parcels,
)
from sim.engine.hub import HubLine
from sim.engine.ledger import HOME_DELIVERY, INBOUND, PERISHABLE, Ledger
from sim.engine.outbound import OutboundFlow, receive_outbound
from sim.engine.plan_cache import cached_plan
from sim.engine.points import PointShelves
from sim.engine.streams import Streams, draw_positive
from sim.engine.trips import ParcelFlow, timetable
from sim.network.geography import HUB, build_geography
from sim.network.services import Plan, build_plan
from sim.scenario.schema import BUS, Scenario


@dataclass(frozen=True, eq=False)
class Run:
    """Everything one replication produced: the ledger, the trip log, the hub's counters.

    ``parcels`` is the ledger as a DataFrame (one row per parcel), ``trips`` the trip
    log. The KPIs are the analysis's, not the engine's: ``sim.runner.simulate`` returns
    a :class:`sim.runner.MeasuredRun`, this run with its ``kpis``.
    ``sorting_busy_h[d]`` is the hours the sorting line worked inside the shifts of
    day *d*, one value per simulated day (``end_h / 24`` of them); work is booked to
    the day it is done, so no day has more than its shift hours. ``in_network``
    counts the parcels still in the network at the end where they physically are;
    ``handed_to_town`` the parcels for the county town handed to urban delivery at
    the hub, so every parcel is delivered, handed over or in the network.

    With ``brands`` a run is composed of independent networks (:mod:`sim.engine.brands`):
    ``networks`` and ``network_plans`` list them, the public one first; ``plan`` is the
    first one's, the trip and service tables hold every network's (column ``network``),
    and ``sorting_busy_h`` is the public hub's (zero when no brand uses it).
    """

    scenario: Scenario
    seed: int
    replication: int
    plan: Plan
    ledger: Ledger
    trips: pd.DataFrame
    services: pd.DataFrame
    sorting_busy_h: np.ndarray
    end_h: float
    in_network: dict[str, int]
    handed_to_town: int
    networks: tuple[NetworkSpec, ...]
    network_plans: tuple[Plan, ...]

    @property
    def parcels(self) -> pd.DataFrame:
        """The parcel ledger as a DataFrame."""
        return self.ledger.to_frame()


# The scenario sections route planning reads; nothing else may change a plan.
_PLANNING_SECTIONS = {"network", "demand", "fleets", "routing", "buses", "delivery"}
# The bus policy no_later also reads when parcels are sorted and cross-docked.
_READY_TIME_SECTIONS = {"hub", "stations"}


@functools.lru_cache(maxsize=16)
def _plan_from_json(sections: str, townships: tuple[str, ...] | None = None) -> Plan:
    scenario = Scenario.model_validate_json(sections)
    # A plan for some townships only is another plan: its key names them.
    key = sections if townships is None else f"{sections}\ntownships: {list(townships)}"
    return cached_plan(
        key,
        scenario.network,
        lambda: build_plan(scenario, build_geography(scenario.network), townships),
    )


def plan_for(scenario: Scenario) -> Plan:
    """The plan of a scenario's first network (:func:`network_plan`; see there)."""
    spec = network_scenarios(scenario)[0]
    return network_plan(spec.scenario, spec.townships)


def all_plans(scenario: Scenario) -> list[Plan]:
    """The plan of every network of a scenario, the first one's first (one without brands)."""
    return [plan for _, plan in named_plans(scenario)]


def named_plans(scenario: Scenario) -> list[tuple[str, Plan]]:
    """Each network's name ("public" or the brand's) and plan, in the order a run has them."""
    return [
        (spec.name, network_plan(spec.scenario, spec.townships))
        for spec in network_scenarios(scenario)
    ]


def network_plan(scenario: Scenario, townships: tuple[str, ...] | None = None) -> Plan:
    """The network and services of a scenario, planned once and reused across replications.

    Route planning is deterministic, so caching changes no result. The cache key is
    the planning sections alone (with the hub and stations where the ``no_later``
    bus policy reads them), so scenarios that differ only in, say, seed or horizon
    share one plan. Plans are also kept on disk between processes
    (:mod:`sim.engine.plan_cache`). *townships* limits the plan to those townships
    (a brand's outlets; :func:`sim.network.services.build_plan`) and is part of the key.
    """
    sections = _PLANNING_SECTIONS
    legs = scenario.delivery.path_legs
    if scenario.buses.policy == "no_later" and any(BUS in leg.by for leg in legs):
        sections = sections | _READY_TIME_SECTIONS
    if scenario.outbound is not None:  # keeps the bus lines' directions back (build_plan)
        sections = sections | {"outbound", "horizon"}  # (seasons need the calendar)
    return _plan_from_json(scenario.model_dump_json(include=sections), townships)


def keeps_cold_chain(scenario: Scenario) -> bool:
    """Whether a run has a cold chain (farm products going out, or inbound shelf lives).

    Its ledger then keeps the cold-chain columns (``Ledger(cold_chain=...)``) and its
    flows a :class:`ColdChain`.
    """
    return scenario.outbound is not None or scenario.demand.perishable_shelf_life_h is not None


def pickup_day(points, added_by_peak: np.ndarray, day: int, streams: Streams):
    """Home delivery flags and pickup delays (hours) of one day's parcels, in their order.

    The ordinary parcels draw from the day's ``pickup`` stream and those a peak adds
    from ``pickup_peak``, so an ordinary parcel's villager behaves the same with or
    without a peak.
    """
    home = np.zeros(added_by_peak.size, dtype=bool)
    delay = np.zeros(added_by_peak.size)
    for rows, name in ((~added_by_peak, "pickup"), (added_by_peak, "pickup_peak")):
        n = int(rows.sum())
        rng = streams.day(name, day)
        home[rows] = rng.random(n) < points.home_delivery_share
        delay[rows] = draw_positive(
            rng, points.pickup_delay_h.kind, points.pickup_delay_h.mean, points.pickup_delay_h.cv, n
        )
    delay[home] = 0.0
    return home, delay


@dataclass
class Network:
    """One network while it runs: its plan, hub (or brand depot) and parcel flow."""

    spec: NetworkSpec
    plan: Plan
    hub: HubLine
    flow: ParcelFlow


def collection_day(networks, network: np.ndarray, home, delay, day: int, streams: Streams):
    """Parcels of a network whose paths stop at the outlet: no home delivery, the villager's delay.

    Each brand draws for every parcel of the day from its own part of the
    ``collection`` stream, so a parcel's collection does not depend on the others' brands.
    """
    for number, net in enumerate(networks):
        if net.spec.is_public or net.spec.scenario.delivery.path_legs[-1].to != "station":
            continue
        mine = network == number
        late = net.spec.scenario.points.pickup_delay_h
        drawn = draw_positive(
            streams.day("collection", day, *net.spec.part), late.kind, late.mean, late.cv, mine.size
        )
        delay[mine], home[mine] = drawn[mine], False


def receive_inbound(env, scenario, networks, table, ledger, streams):
    """Each day at midnight: that day's inbound parcels reach the hub and are sorted.

    With brands, each parcel goes to the depot of the network that carries it
    (*table*: brand and place -> network). Parcels for the county town leave the
    village network once sorted (:meth:`HubLine.hand_over_urban`).
    """
    days = scenario.horizon.days
    population = networks[0].plan.geography.population
    base = base_daily_parcels(scenario.demand, population)
    urban = urban_daily_parcels(scenario.demand, population)
    points = scenario.points
    for day in range(days):
        if day * 24.0 > env.now:
            yield env.timeout(day * 24.0 - env.now)
        parcels = inbound_day(
            scenario.demand, base, day, streams, urban, scenario.horizon.weekday_offset
        )
        # Only the villages' parcels are picked up at a village point.
        village = parcels.destination != HUB
        home = np.zeros(village.size, dtype=bool)
        delay = np.zeros(village.size)
        home[village], delay[village] = pickup_day(
            points, parcels.added_by_peak[village], day, streams
        )
        brand, network = assign_brands(
            scenario, table, parcels.destination, streams.day("brand", day)
        )
        collection_day(networks, network, home, delay, day, streams)
        delay[~village] = 0.0
        flags = parcels.perishable * np.uint8(PERISHABLE) | home * np.uint8(HOME_DELIVERY)
        shelf_life = scenario.demand.perishable_shelf_life_h
        spoils_at = (
            np.inf
            if shelf_life is None
            else np.where(parcels.perishable, parcels.t_hub + shelf_life, np.inf)
        )
        rows = ledger.append(
            destination=parcels.destination,
            origin=0,
            direction=INBOUND,
            flags=flags,
            t_created=parcels.t_hub,
            t_hub=parcels.t_hub,
            pickup_delay_h=delay,
            brand=brand,
            network=network,
            spoils_at=spoils_at,
        )
        boundary = np.inf if day == days - 1 else (day + 1) * 24.0
        for number, net in enumerate(networks):
            mine = rows if len(networks) == 1 else rows[network == number]
            part = net.spec.part
            sorted_rows, done = net.hub.process(
                ledger,
                mine,
                boundary,
                streams.day("inspection", day, *part),
                streams.day("sorting", day, *part),
            )
            if shelf_life is not None:  # the hub has no cold room
                fresh = ~net.flow.cold.spoiled(sorted_rows, done)
                sorted_rows, done = sorted_rows[fresh], done[fresh]
            sorted_rows, done = net.hub.hand_over_urban(ledger, sorted_rows, done)
            net.flow.enqueue(sorted_rows, np.zeros(sorted_rows.size, dtype=np.int8), done)


def given_plans(plan: Plan | Sequence[Plan] | None) -> tuple[Plan, ...]:
    """The plans a caller gave: none, the first network's alone, or every network's."""
    if plan is None:
        return ()
    return (plan,) if isinstance(plan, Plan) else tuple(plan)


def run(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    *,
    plan: Plan | Sequence[Plan] | None = None,
) -> Run:
    """Run one replication of a scenario.

    Parameters
    ----------
    scenario : a validated scenario
    seed : root seed (defaults to the scenario's ``seed``)
    replication : replication number *r*; uses child *r* of ``SeedSequence(seed)``
    plan : the scenario's plans made elsewhere (by the process handing out replications),
        so a worker need not plan or read the plan cache: ``all_plans(scenario)``, every
        network's, or ``plan_for(scenario)``, the first network's (a scenario with brands
        then plans the others here); default: all planned here
    """
    seed = scenario.seed if seed is None else int(seed)
    specs = network_scenarios(scenario)
    given = given_plans(plan)
    plans = [
        given[number] if number < len(given) else network_plan(spec.scenario, spec.townships)
        for number, spec in enumerate(specs)
    ]
    horizon = scenario.horizon
    geography = plans[0].geography
    expected = expected_parcels(
        scenario.demand, geography.population, horizon.days, horizon.weekday_offset
    )
    # A little headroom over the expected count saves the ledger from growing.
    ledger = Ledger(
        int(expected + 6 * np.sqrt(expected)) + 1024, cold_chain=keeps_cold_chain(scenario)
    )
    streams = Streams(seed, replication)
    total_days = horizon.days + horizon.drain_days
    env = simpy.Environment()
    networks = [
        Network(
            spec,
            net_plan,
            HubLine(spec.scenario.hub),
            ParcelFlow(
                net_plan,
                ledger,
                spec.scenario.stations.crossdock_min / 60.0,
                streams["bus_delay"],
                PointShelves(spec.scenario.points),
                run_ends_h=total_days * 24.0,
            ),
        )
        for spec, net_plan in zip(specs, plans, strict=True)
    ]
    if keeps_cold_chain(scenario):
        for net in networks:
            net.flow.cold = ColdChain(net.spec.scenario, net.flow)
    table = brand_table(scenario, specs, geography)
    env.process(receive_inbound(env, scenario, networks, table, ledger, streams))
    if scenario.outbound is not None:
        # Farm products ride the first network (the public one; brands with outbound are refused).
        first = networks[0]
        first.flow.outbound = OutboundFlow(scenario, first.flow, streams)
        env.process(receive_outbound(env, scenario, first.plan, ledger, first.flow, streams))
    # Peak days may send extra vehicles; drain days have no new parcels, so are never peaks.
    peak_days = [
        day < horizon.days and peak_factor(scenario.demand, day) > 1 for day in range(total_days)
    ]
    for net in networks:
        env.process(timetable(env, net.flow, peak_days))
    env.run(until=total_days * 24.0)

    public = [net for net in networks if net.spec.is_public]
    busy = public[0].hub.sorting_busy.per_day(total_days) if public else np.zeros(total_days)
    # Counted where the parcels physically are, independently of the ledger stamps.
    in_network = {"hub_unsorted": sum(net.hub.holding for net in networks)}
    for net in networks:
        net.flow.settle(env.now)
        for key, value in net.flow.waiting().items():
            in_network[f"waiting_at_{key}"] = in_network.get(f"waiting_at_{key}", 0) + value
    in_network["on_vehicles"] = sum(net.flow.on_vehicles() for net in networks)
    if networks[0].flow.outbound is not None:
        in_network.update(networks[0].flow.outbound.in_network(env.now))
    for net in networks:
        net.flow.record_unfinished(env.now)
    trips, services = composed_tables(networks)
    return Run(
        scenario,
        seed,
        replication,
        plans[0],
        ledger,
        trips,
        services,
        busy,
        total_days * 24.0,
        in_network,
        sum(net.hub.handed_to_town for net in networks),
        tuple(specs),
        tuple(plans),
    )


def composed_tables(networks: list[Network]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The trip log and service table of every network, services numbered across them.

    Column ``network`` is the network's index in the run's ``networks``. A single
    network's tables are its own (with ``network`` 0).
    """
    trips, services, first = [], [], 0
    for number, net in enumerate(networks):
        table = service_table(net.plan)
        log = trip_table(net.flow, net.plan)
        log["service"] += first
        table.index += first
        log["network"] = table["network"] = number
        trips.append(log)
        services.append(table)
        first += len(table)
    if len(networks) == 1:
        return trips[0], services[0]
    fleets = sorted({str(f) for log in trips for f in log["fleet"].cat.categories})
    for log in trips:
        log["fleet"] = pd.Categorical(log["fleet"].astype(str), categories=fleets)
    return pd.concat(trips, ignore_index=True), pd.concat(services)


def service_table(plan: Plan) -> pd.DataFrame:
    """One row per service: what it is and what it costs (read by the analysis)."""
    columns = (
        "name",
        "fleet",
        "line",
        "vehicles",
        "cost_per_km_cny",
        "cost_per_vehicle_day_cny",
        "co2_per_km_kg",
        "fee_per_parcel_cny",
        "fee_per_line_day_cny",
        "full_cargo_share",
        "counts_as_van",
    )
    table = pd.DataFrame(
        [{c: getattr(s, c) for c in columns} for s in plan.services], columns=list(columns)
    )
    table["route_km"] = [sum(s.leg_km) for s in plan.services]
    table["nominal_capacity"] = [max(s.capacities) for s in plan.services]
    table.index.name = "service"
    return table


def trip_table(flow: ParcelFlow, plan: Plan) -> pd.DataFrame:
    """The trip log as a DataFrame, one row per trip that ran, with its service's fleet.

    Trips still under way when the run stopped are included, counted up to that
    moment (``finished`` False; see ``ParcelFlow.record_unfinished``).
    """
    log = flow.log
    service = np.array(log.column("service"), dtype=np.int64)
    fleets = sorted({s.fleet for s in plan.services})
    fleet_code = np.array([fleets.index(s.fleet) for s in plan.services], dtype=np.int64)
    return pd.DataFrame(
        {
            "service": service,
            "fleet": pd.Categorical.from_codes(fleet_code[service], categories=fleets),
            "depart_h": np.array(log.column("depart_h"), dtype=float),  # as timetabled
            "late_h": np.array(log.column("late_h"), dtype=float),
            "end_h": np.array(log.column("end_h"), dtype=float),  # the last vehicle back
            "km": np.array(log.column("km"), dtype=float),
            "parcels": np.array(log.column("parcels"), dtype=np.int64),
            "max_load": np.array(log.column("max_load"), dtype=np.int64),
            "capacity": np.array(log.column("capacity"), dtype=np.int64),
            # As many vehicles as the load needed.
            "vehicles": np.array(log.column("vehicles"), dtype=np.int64),
            "parcel_km": np.array(log.column("parcel_km"), dtype=float),
            "parcel_dwell_h": np.array(log.column("parcel_dwell_h"), dtype=float),
            # False for a trip still under way when the run stopped (counted pro rata).
            "finished": np.array(log.column("finished"), dtype=bool),
        }
        | outbound_columns(flow)
    )


def outbound_columns(flow: ParcelFlow) -> dict[str, np.ndarray]:
    """The trip log's outbound columns, for a run with outbound parcels (else none)."""
    if flow.outbound is None:
        return {}
    log = flow.log
    return {
        "outbound_parcels": np.array(log.column("outbound_parcels"), dtype=np.int64),
        "outbound_parcel_km": np.array(log.column("outbound_parcel_km"), dtype=float),
        # Vehicles the departure would have sent for its inbound parcels alone.
        "inbound_vehicles": np.array(log.column("inbound_vehicles"), dtype=np.int64),
    }
