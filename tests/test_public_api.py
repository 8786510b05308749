"""The public API is small and every name in it is documented in the README."""

from __future__ import annotations

import re
import subprocess
import sys

import sim
from tests.conftest import REPO


def test_every_public_name_is_documented():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in sim.__all__:
        assert re.search(rf"\bsim\.{name}\b", readme) or f"`{name}`" in readme, name


def test_public_names_exist_and_nothing_else_is_star_exported():
    assert len(sim.__all__) == len(set(sim.__all__)) <= 12
    for name in sim.__all__:
        assert hasattr(sim, name), name


def test_importing_the_package_loads_no_heavy_dependency():
    # The ruralsim command imports the package before main() can turn Ctrl-C into
    # exit 130; the public names load on first use.
    code = (
        "import sys, sim, sim.cli; "
        "print(sorted(m for m in ('numpy', 'pandas', 'pydantic', 'pyvrp', 'scipy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_run_or_comparison_loads_neither_scipy_stats_nor_matplotlib():
    # Every command imports sim.checking (for its errors), and ``run`` the engine,
    # the KPIs and the statistics, ``compare`` also the paired differences;
    # scipy.stats alone costs ~0.5-0.7 s and 60 MiB, and matplotlib is for the
    # report. Both load only when a command needs them.
    code = (
        "import sys, sim.cli, sim.checking, sim.runner, sim.analysis.compare, "
        "sim.analysis.stats, sim.experiments.tasks; "
        "sim.analysis.stats.t_interval([1.0, 2.0, 4.0]); "
        "sim.analysis.compare.paired_difference([1.0, 2.0, 4.0], [1.5, 2.0, 5.0]); "
        "print(sorted(m for m in ('scipy.stats', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_workers_fork_server_starts_before_the_command_loads_its_modules():
    # ``ruralsim compare --jobs 2`` starts the fork server (sim.experiments.executors)
    # right after parsing, so that it imports the package for the workers while the
    # command imports it for itself; importing the executors must not do that first.
    code = (
        "import sys, sim.cli, sim.experiments.executors; "
        "print(sorted(m for m in ('numpy', 'pandas', 'sim.experiments.tasks') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_experiments_names_load_on_first_use():
    import sim.experiments

    assert sorted(sim.experiments.__all__) == sorted(set(sim.experiments.__all__))
    for name in sim.experiments.__all__:
        assert getattr(sim.experiments, name).__module__.startswith("sim.experiments."), name
