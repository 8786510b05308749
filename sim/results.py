"""Results folders: written whole or not at all, each with a manifest of how it was made."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sim.scenario.schema import Scenario

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


def manifest(
    scenario: Scenario,
    *,
    scenario_file: str | None,
    overrides: list[str],
    seed: int,
    replications: int,
    started: datetime,
    wall_s: float,
) -> dict:
    """Everything needed to reproduce a results folder."""
    return {
        "scenario_name": scenario.name,
        "scenario_file": scenario_file,
        "overrides": overrides,
        "seed": seed,
        "replications": replications,
        "replication_seeds": "replication r uses child r of numpy SeedSequence(seed)",
        "package_version": package_version(),
        "versions": versions(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "started_at": started.astimezone(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall_s, 3),
        "scenario": scenario.model_dump(mode="json"),
    }


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; results are not
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically, with stable formatting."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def results_folder(target: Path) -> Iterator[Path]:
    """Build a results folder in a temporary sibling, then move it into place.

    An interrupted or failed run leaves the previous folder (if any) untouched
    and no partial folder behind.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.partial-"))
    os.chmod(work, 0o777 & ~_umask())
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
    os.replace(work, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
