"""Wall time of one comparison serially, on a process pool and on a local Dask cluster.

Usage::

    python benchmarks/executors.py                      # the README's main job, 10 replications
    python benchmarks/executors.py --replications 20 --jobs 4

Runs ``ruralsim compare`` on the bundled direct and via-township scenarios in a fresh
process per executor (start-up and route planning included, as a user sees it) and
checks that every executor wrote the same ``comparison.csv``.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    executors = {
        "serial": [],
        f"--jobs {args.jobs}": ["--jobs", str(args.jobs)],
        f"--dask local ({args.jobs} workers)": ["--dask", "local", "--jobs", str(args.jobs)],
    }
    tables = {}
    with tempfile.TemporaryDirectory() as scratch:
        for number, (name, extra) in enumerate(executors.items()):
            out = Path(scratch) / str(number)
            command = [
                sys.executable,
                "-m",
                "sim",
                "compare",
                str(SCENARIOS / "leiyang_direct.yaml"),
                str(SCENARIOS / "leiyang_via_township.yaml"),
                "--replications",
                str(args.replications),
                "--seed",
                "1",
                "--out",
                str(out),
                "--quiet",
                *extra,
            ]
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            wall = time.perf_counter() - start
            tables[name] = (out / "comparison.csv").read_bytes()
            print(f"{name:<28} {wall:6.1f} s  ({2 * args.replications} replications)")
    same = len(set(tables.values())) == 1
    print("comparison.csv identical across executors:", "yes" if same else "NO")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
