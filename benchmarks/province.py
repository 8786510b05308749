"""A made-up province of independent counties on a local Dask cluster: time and peak memory.

Usage::

    python benchmarks/province.py                       # issue 14: 100 counties x 30 days
    python benchmarks/province.py --counties 20 --days 7 --workers 2
    python benchmarks/province.py --dask tcp://10.0.0.5:8786   # a real cluster
    # a prefecture of ~7 M people: 12 counties x 21 townships (~4,000 villages) for a year
    python benchmarks/province.py --counties 12 --townships 21 --village-population 805 --days 365

Writes ``--counties`` synthetic counties of varied size (6 to 30 townships of ~110
km2 each, as the bundled Leiyang-like county; every county its own made-up
geography) that extend ``scenarios/leiyang_via_township.yaml``, and a region file
naming them, into a scratch folder; then runs ``ruralsim region`` on them in a fresh
process (start-up, planning and writing included, as a user sees it), with an empty
plan cache. While it runs, the resident memory of the command and every process it
started (the Dask scheduler and workers) is summed every 0.2 s; the peak of that sum
is what the machine needed. Prints wall time, parcels simulated (the region's
village and county-town parcels of the measured days), parcels per second, the CPU
time of every process and the peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import yaml

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
KM2_PER_TOWNSHIP = 110  # Leiyang: 2,649 km2 / 24 townships (scenarios/leiyang_base.yaml)


def write_province(
    folder: Path,
    counties: int,
    days: int,
    seed: int,
    townships: int | None = None,
    village_population: float | None = None,
) -> Path:
    """County scenarios and the region file naming them; its path.

    Each county has *townships* townships (default: drawn from 6 to 30) and villages of
    *village_population* residents on average (default: the bundled county's).
    """
    rng = np.random.default_rng(seed)
    names = []
    for k in range(counties):
        size = int(rng.integers(6, 31)) if townships is None else townships
        network = {"seed": 10_000 + k, "townships": size, "area_km2": size * KM2_PER_TOWNSHIP}
        if village_population is not None:
            network["population"] = {"mean": village_population}
        county = {
            "extends": str(SCENARIOS / "leiyang_via_township.yaml"),
            "name": f"county_{k:03d}",
            "horizon": {"days": days},
            "network": network,
        }
        (folder / f"county_{k:03d}.yaml").write_text(yaml.safe_dump(county), encoding="utf-8")
        names.append(f"county_{k:03d}.yaml")
    region = folder / "province.yaml"
    body = {"region": {"name": "province", "seed": seed, "counties": names}}
    region.write_text(yaml.safe_dump(body), encoding="utf-8")
    return region


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (0 once it has ended)."""
    total = 0
    try:
        for member in [process, *process.children(recursive=True)]:
            try:
                total += member.memory_info().rss
            except psutil.NoSuchProcess:
                pass
    except psutil.NoSuchProcess:
        return 0
    return total


def run(command: list[str], env: dict) -> tuple[float, float, int]:
    """Run ``command``: its wall time, CPU seconds and peak resident memory of its process tree.

    CPU seconds count every process the command started and waited for (the Dask
    workers too), user and system.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    watched, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, tree_rss(watched))
        time.sleep(0.2)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode:
        sys.exit(f"ruralsim region failed (exit {child.returncode})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--replications", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dask", default="local", help="'local' or a scheduler address")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--townships", type=int, default=None, help="per county (default 6-30)")
    parser.add_argument(
        "--village-population", type=float, default=None, help="mean residents per village"
    )
    parser.add_argument("--keep", type=Path, default=None, help="results folder to keep")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        region = write_province(
            scratch, args.counties, args.days, args.seed, args.townships, args.village_population
        )
        out = args.keep or scratch / "out"
        executor = ["--dask", args.dask]
        if args.dask == "local":
            executor += ["--jobs", str(args.workers)]
        command = [sys.executable, "-m", "sim", "region", str(region)]
        command += ["--replications", str(args.replications), "--out", str(out), "--quiet"]
        env = {**os.environ, "RURALSIM_CACHE_DIR": str(scratch / "cache")}
        wall, cpu, peak = run([*command, *executor], env)
        kpis = pd.read_csv(out / "kpis.csv")
        parcels = int((kpis["parcels_generated"] + kpis["urban_parcels"]).sum())
        places = pd.concat(pd.read_csv(f) for f in sorted(out.glob("*/details/places.csv")))
        villages = places[places["level"] == "point"]
    where = f"dask local cluster, {args.workers} workers" if args.dask == "local" else args.dask
    print(
        f"{args.counties} counties x {args.days} days x {args.replications} replication(s) "
        f"on {where}, load average now {os.getloadavg()[0]:.1f}"
    )
    print(
        f"villages                   {len(villages):8,d} with "
        f"{villages['population'].sum():,.0f} rural residents"
    )
    print(f"wall time                  {wall:8.1f} s")
    print(f"measured parcels           {parcels:8,d} (villages and county towns, measured days)")
    print(f"parcels per second         {parcels / wall:8,.0f}")
    print(f"CPU time, all processes    {cpu:8.1f} s ({parcels / cpu:,.0f} parcels per CPU-second)")
    print(f"peak memory, all processes {peak / 2**20:8,.0f} MiB")


if __name__ == "__main__":
    main()
