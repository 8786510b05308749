"""The whole ``ruralsim run`` command against the naive model, as a user meets it.

Usage::

    python benchmarks/whole_command.py                 # 120 days, naive model 5 days
    python benchmarks/whole_command.py --days 365 --naive-days 3

Times ``python -m sim run scenarios/bench_county_year.yaml --replications 1 --seed 1
--set horizon.days=DAYS`` in a fresh process — start-up, imports, route planning,
the simulation, KPIs, detail tables and writing the results folder — first with an
empty plan cache (it plans and stores the plan), then again (it reads the plan).
Then the naive one-process-per-parcel model (``benchmarks/naive_model.py``) on the
same county in a fresh process, so both are measured in one sitting on the same
machine; ``--rounds N`` alternates N cached runs and N naive runs and compares the
fastest of each. Parcels are every parcel the run simulated (``parcels_arrived`` plus
``urban_parcels_arrived`` of ``details/daily.csv``, warm-up and drain included);
bytes per parcel are the command's peak resident memory divided by them. CPU
seconds are printed too: on a busy machine they vary less than wall time. Targets
(issue 14): >= 40x the naive model, <= 120 bytes/parcel.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "bench_county_year.yaml"


def run_command(days: int, out: Path, cache: Path) -> dict:
    """One ``run`` in a fresh process: parcels, wall time and peak memory."""
    command = [
        sys.executable,
        "-m",
        "sim",
        "run",
        str(SCENARIO),
        "--replications",
        "1",
        "--seed",
        "1",
        "--set",
        f"horizon.days={days}",
        "--out",
        str(out),
        "--quiet",
    ]
    env = {**os.environ, "RURALSIM_CACHE_DIR": str(cache)}
    env.pop("RURALSIM_NO_PLAN_CACHE", None)
    # As installed: Python keeps the package's compiled bytecode (the first run writes it).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, for its rusage
    if child.returncode:
        sys.exit(f"ruralsim run failed with exit status {child.returncode}")
    with (out / "details" / "daily.csv").open(newline="") as file:
        # The villages' and the county town's parcels: every row of the ledger.
        parcels = sum(
            int(row["parcels_arrived"]) + int(row["urban_parcels_arrived"])
            for row in csv.DictReader(file)
        )
    peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    return {
        "parcels": parcels,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "parcels_per_s": parcels / wall,
        "peak_bytes": peak,
        "bytes_per_parcel": peak / parcels,
    }


def naive(days: int, cache: Path) -> dict:
    """The naive model's rate, in a fresh process."""
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); "
        f"from naive_model import naive_rate; print(json.dumps(naive_rate({days})))"
    )
    env = {**os.environ, "RURALSIM_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(name: str, r: dict) -> None:
    print(
        f"{name:<26} {r['parcels']:>10,} parcels in {r['wall_s']:6.2f} s "
        f"({r['cpu_s']:.2f} s CPU) = {r['parcels_per_s']:>9,.0f} parcels/s; "
        f"peak {r['peak_bytes'] / 2**20:,.0f} MiB = {r['bytes_per_parcel']:.0f} bytes/parcel"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--naive-days", type=int, default=5)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the cached command and the naive model this many times each, "
        "alternating, and compare their fastest (a shared machine's noise only slows)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        cold = run_command(args.days, scratch / "cold", scratch / "cache")
        report(f"run, {args.days} days, new plan", cold)
        warms, slows = [], []
        for round_ in range(args.rounds):
            warms.append(run_command(args.days, scratch / f"warm{round_}", scratch / "cache"))
            report(f"run, {args.days} days, cached", warms[-1])
            slows.append(naive(args.naive_days, scratch / "cache"))
        warm = min(warms, key=lambda r: r["wall_s"])
        slow = max(slows, key=lambda r: r["parcels_per_s"])
    print(
        f"naive model, {args.naive_days} days      {slow['parcels']:>10,} parcels in "
        f"{slow['wall_s']:6.2f} s ({slow['cpu_s']:.2f} s CPU) = "
        f"{slow['parcels_per_s']:>9,.0f} parcels/s (event loop only)"
    )
    for name, r in (("new plan", cold), ("cached plan", warm)):
        by_wall = r["parcels_per_s"] / slow["parcels_per_s"]
        by_cpu = (r["parcels"] / r["cpu_s"]) / (slow["parcels"] / slow["cpu_s"])
        print(f"whole command ({name}): {by_wall:.1f}x naive ({by_cpu:.1f}x by CPU time)")


if __name__ == "__main__":
    main()
