"""Route planning time for a network the size of a province, or any scenario scaled up.

Usage::

    python benchmarks/planning.py                      # scenarios/bench_province_plan.yaml
    python benchmarks/planning.py --townships 250 1000 2400   # it scaled (same density)
    python benchmarks/planning.py --set routing.no_improvement_iterations=null
    python benchmarks/planning.py --scenario scenarios/leiyang_direct.yaml --townships 24 100
    python benchmarks/planning.py --set routing.iterations=1   # all but PyVRP's search

The scenario is planned as written, with its own PyVRP iterations, in a fresh process
with the plan cache off. ``--townships`` scales it: that many townships on a
proportionally larger area (its km² per township kept). ``--set`` overrides any field,
as the commands' ``--set`` does. The time is split into the synthetic geography, PyVRP
(``plan_routes``, every search) and the rest of planning (grouping places by depot,
sectors, paths); the planned kilometres (each route's length times its vehicles, per
departure) tell whether a faster plan is a worse one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "bench_province_plan.yaml"

_CHILD = r"""
import json, sys, time
from sim import load_scenario
from sim.network import routing, services
from sim.network.geography import build_geography

path, townships, overrides = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
scenario = load_scenario(path, overrides)
if townships:
    per_township = scenario.network.area_km2 / scenario.network.townships
    scenario = load_scenario(path, [*overrides, f"network.townships={townships}",
                                    f"network.area_km2={per_township * townships}"])
solver, problems = 0.0, 0
real = routing.plan_routes
def timed(*args, **kwargs):
    global solver, problems
    start = time.perf_counter()
    try:
        return real(*args, **kwargs)
    finally:
        solver += time.perf_counter() - start
        problems += 1
routing.plan_routes = timed
start = time.perf_counter()
geo = build_geography(scenario.network)
geography = time.perf_counter() - start
start = time.perf_counter()
plan = services.build_plan(scenario, geo)
total = time.perf_counter() - start
km = sum(sum(s.leg_km) * s.vehicles for s in plan.services if not s.is_bus)
print(json.dumps({"townships": scenario.network.townships, "villages": int(len(geo.points)),
                  "geography_s": geography, "plan_s": total, "pyvrp_s": solver,
                  "problems": problems, "services": len(plan.services), "km": km}))
"""


def measure(scenario: Path, townships: int, overrides: list[str]) -> dict:
    """Plan one scenario (scaled to *townships*, 0: as written) in a fresh process."""
    env = {**os.environ, "RURALSIM_NO_PLAN_CACHE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(scenario), str(townships), json.dumps(overrides)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=SCENARIO, help="scenario to plan")
    parser.add_argument(
        "--townships", type=int, nargs="+", default=[0], help="scale to these sizes (0: as is)"
    )
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE"
    )
    args = parser.parse_args()
    print(
        f"{args.scenario.name} {' '.join(args.overrides)}: townships, villages, geography, "
        "planning (PyVRP + the rest), PyVRP problems, routes, planned km"
    )
    for townships in args.townships:
        r = measure(args.scenario, townships, args.overrides)
        rest = r["plan_s"] - r["pyvrp_s"]
        print(
            f"{r['townships']:>6,} {r['villages']:>7,}  {r['geography_s']:6.2f} s  "
            f"{r['plan_s']:7.2f} s ({r['pyvrp_s']:.2f} s PyVRP + {rest:.2f} s rest), "
            f"{r['problems']:,} problems, {r['services']:,} routes, {r['km']:,.0f} km"
        )


if __name__ == "__main__":
    main()
