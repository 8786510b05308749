"""Wall time of one comparison serially, on a process pool and on a local Dask cluster.

Usage::

    python benchmarks/executors.py                      # issue 14's case: 4 replications, 60 days
    python benchmarks/executors.py --rounds 3           # alternate the executors 3 times
    python benchmarks/executors.py --replications 10 --days 365 --jobs 2

Runs ``ruralsim compare`` on the bundled direct and via-township scenarios in a fresh
process per executor (start-up included, as a user sees it), with the route plans
already in a scratch plan cache (one untimed run fills it), and prints each
executor's speed-up over ``--jobs 1``. The executors take turns in each round, so a
busy machine slows them alike; the ratio uses each executor's fastest round. Every
executor must write byte-identical ``kpis.csv``, ``comparison.csv`` and
``details/*.csv``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def compare_command(out: Path, replications: int, days: int, extra: list[str]) -> list[str]:
    """The ``ruralsim compare`` command line of the benchmark."""
    return [
        sys.executable,
        "-m",
        "sim",
        "compare",
        str(SCENARIOS / "leiyang_direct.yaml"),
        str(SCENARIOS / "leiyang_via_township.yaml"),
        "--replications",
        str(replications),
        "--seed",
        "1",
        "--set",
        f"horizon.days={days}",
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def results(out: Path) -> dict[str, bytes]:
    """Every CSV of a results folder, by path relative to the folder."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.csv"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    executors = {
        "--jobs 1": [],
        f"--jobs {args.jobs}": ["--jobs", str(args.jobs)],
        f"--dask local ({args.jobs} workers)": ["--dask", "local", "--jobs", str(args.jobs)],
    }
    walls = {name: [] for name in executors}
    started_load = os.getloadavg()[0]
    tables = {}
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "RURALSIM_CACHE_DIR": str(Path(scratch) / "cache")}
        warm = compare_command(Path(scratch) / "warm", 2, 3, [])
        subprocess.run(warm, check=True, stdout=subprocess.DEVNULL, env=env)
        for round_ in range(args.rounds):
            for number, (name, extra) in enumerate(executors.items()):
                out = Path(scratch) / f"{round_}-{number}"
                command = compare_command(out, args.replications, args.days, extra)
                start = time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
                walls[name].append(time.perf_counter() - start)
                tables[out.name] = results(out)
    serial = min(walls["--jobs 1"])
    case = f"2 scenarios x {args.replications} replications x {args.days} days"
    load = os.getloadavg()[0]  # a busy machine hides what parallel runs gain (see the docs)
    print(f"{case}, best of {args.rounds} rounds, load average {started_load:.1f} -> {load:.1f}")
    for name, times in walls.items():
        rounds = " ".join(f"{t:5.1f}" for t in times)
        print(f"{name:<28} {min(times):6.1f} s  x{serial / min(times):4.2f}  (rounds: {rounds})")
    same = all(table == tables["0-0"] for table in tables.values())
    print("kpis, comparison and details identical across executors:", "yes" if same else "NO")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
