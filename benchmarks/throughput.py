"""Throughput and peak memory of the engine on a year of the bundled county.

Usage::

    python benchmarks/throughput.py                    # 365 days, plus the 90-day linearity check
    python benchmarks/throughput.py --days 90 --no-linearity

Each measurement runs in a fresh subprocess so peak memory (``ru_maxrss``) is
that run's own. Route planning happens before the clock starts (it is done once
per scenario, not per replication). Bytes per parcel are peak resident memory
minus the resident memory just before the simulation, divided by parcels.
Targets (issue 2): >= 1,000,000 parcels/s on one core, < 150 bytes/parcel, and
time per parcel at 365 days within ~15% of that at 90 days (linear cost).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "bench_county_year.yaml"

_CHILD = r"""
import json, resource, sys, time
from sim import load_scenario, simulate
from sim.engine.model import plan_for

def rss_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0

scenario = load_scenario(sys.argv[1], [f"horizon.days={sys.argv[2]}"])
plan_for(scenario)
before = rss_bytes()
start = time.perf_counter()
run = simulate(scenario, seed=1)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"parcels": run.ledger.n, "wall_s": wall, "peak_bytes": peak,
                  "before_bytes": before, "lead_time_mean_h": run.kpis["lead_time_mean_h"]}))
"""


def measure(days: int) -> dict:
    """Run one simulation of *days* days in a fresh process and return its figures."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(SCENARIO), str(days)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["days"] = days
    result["parcels_per_s"] = result["parcels"] / result["wall_s"]
    result["bytes_per_parcel"] = (result["peak_bytes"] - result["before_bytes"]) / result["parcels"]
    return result


def report(r: dict) -> None:
    print(
        f"{r['days']:>4} days: {r['parcels']:>11,} parcels in {r['wall_s']:6.2f} s = "
        f"{r['parcels_per_s']:>11,.0f} parcels/s; peak memory {r['peak_bytes'] / 2**20:,.0f} MiB "
        f"= {r['bytes_per_parcel']:.0f} bytes/parcel above the pre-run baseline"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-linearity", action="store_true")
    args = parser.parse_args()
    year = measure(args.days)
    report(year)
    if not args.no_linearity:
        short = measure(90)
        report(short)
        ratio = (year["wall_s"] / year["parcels"]) / (short["wall_s"] / short["parcels"])
        print(f"time per parcel, {args.days} vs 90 days: {ratio:.2f}x (1.00 = linear)")


if __name__ == "__main__":
    main()
