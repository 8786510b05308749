"""Route planning time as the network grows: the bundled county scaled up to a province.

Usage::

    python benchmarks/planning.py                          # 24 to 2,400 townships
    python benchmarks/planning.py --townships 24 500 --model direct
    python benchmarks/planning.py --iterations 1      # all but PyVRP's search

Each size is the bundled county (``scenarios/leiyang_via_township.yaml``) with more
townships on a proportionally larger area (the county's ~110 km² per township and
~16 villages each), planned in a fresh process with the plan cache off. Sizes above
the schema's cap of 500 townships are made with ``model_copy`` (no validation). A
province has no single hub within a day's drive of every township, so the trunk's
``max_route_h`` and the hub vans' are raised to 24 h; everything else is the county's.
The time is split into PyVRP (``plan_routes``) and the rest of planning (grouping
places by depot, paths).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "leiyang_via_township.yaml"

_CHILD = r"""
import json, sys, time
from sim import load_scenario
from sim.network import services
from sim.network.geography import build_geography

townships, model, iterations = int(sys.argv[2]), sys.argv[3], sys.argv[4]
base = load_scenario(sys.argv[1], [f"delivery.model={model}", f"routing.iterations={iterations}"])
network = base.network.model_copy(update={"townships": townships,
                                          "area_km2": base.network.area_km2 / 24 * townships})
fleets = {name: fleet.model_copy(update={"max_route_h": 24.0}) if name != "township_van" else fleet
          for name, fleet in base.fleets.items()}
scenario = base.model_copy(update={"network": network, "fleets": fleets})
solver = 0.0
real = services.plan_routes
def timed(*args, **kwargs):
    global solver
    start = time.perf_counter()
    try:
        return real(*args, **kwargs)
    finally:
        solver += time.perf_counter() - start
services.plan_routes = timed
start = time.perf_counter()
geo = build_geography(scenario.network)
geography = time.perf_counter() - start
start = time.perf_counter()
plan = services.build_plan(scenario, geo)
total = time.perf_counter() - start
print(json.dumps({"townships": townships, "villages": int(len(geo.points)),
                  "geography_s": geography, "plan_s": total, "pyvrp_s": solver,
                  "services": len(plan.services)}))
"""


def measure(townships: int, model: str, iterations: int) -> dict:
    """Plan one size in a fresh process; its figures."""
    env = {**os.environ, "RURALSIM_NO_PLAN_CACHE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(SCENARIO), str(townships), model, str(iterations)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--townships", type=int, nargs="+", default=[24, 100, 500, 1000, 2400])
    parser.add_argument("--model", default="via_township", help="delivery.model to plan")
    parser.add_argument(
        "--iterations",
        type=int,
        default=300,
        help="routing.iterations (the county's 300 by default; 1 times everything but PyVRP)",
    )
    args = parser.parse_args()
    print(
        f"{args.model}, {args.iterations} PyVRP iterations: townships, villages, "
        "geography, planning (PyVRP + the rest)"
    )
    for townships in args.townships:
        r = measure(townships, args.model, args.iterations)
        rest = r["plan_s"] - r["pyvrp_s"]
        print(
            f"{r['townships']:>6,} {r['villages']:>7,}  {r['geography_s']:6.2f} s  "
            f"{r['plan_s']:7.2f} s ({r['pyvrp_s']:.2f} s PyVRP + {rest:.2f} s rest), "
            f"{r['services']:,} routes"
        )


if __name__ == "__main__":
    main()
