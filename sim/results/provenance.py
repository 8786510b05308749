"""How a result was made: the command, and the versions of ruralsim and its dependencies."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

_PACKAGES = ("ruralsim", "simpy", "numpy", "scipy", "pandas", "pydantic", "pyvrp")


def package_version() -> str:
    """The installed ruralsim version."""
    try:
        return metadata.version("ruralsim")
    except metadata.PackageNotFoundError:
        return "unknown"


def versions() -> dict[str, str]:
    """Python's version and those of ruralsim and its main dependencies."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def command_line() -> str:
    """The command that is running, as recorded in manifests and baselines."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
