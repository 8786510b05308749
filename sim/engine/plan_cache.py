"""Route plans kept on disk between runs: planning takes seconds, reading a plan milliseconds.

A plan is a pure function of the scenario's planning sections, the network CSV they
may name, the code that plans and the PyVRP version. The cache key is a digest of
all of these and of :data:`PLAN_FORMAT`, so changing any of them plans afresh; the
code is taken as the whole ``sim`` package's source, so an edit anywhere (or a new
ruralsim version) never reuses a plan made by other code.

Plans live in ``$RURALSIM_CACHE_DIR/plans``, by default
``$XDG_CACHE_HOME/ruralsim/plans`` or ``~/.cache/ruralsim/plans``, one pickle per
plan, written atomically. ``RURALSIM_NO_PLAN_CACHE=1`` (the commands'
``--no-plan-cache``) neither reads nor writes them. The cache only saves time: an
entry that cannot be read is planned again and rewritten, and a folder that cannot
be written is left alone, never an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from sim.network.services import Plan
from sim.scenario.schema import Network

PLAN_FORMAT = 1
"""Raised when the stored form of a plan changes in a way the source digest cannot see."""
CACHE_DIR_ENV = "RURALSIM_CACHE_DIR"
"""Environment variable: the folder for ruralsim's caches (plans go in ``plans/`` inside)."""
NO_CACHE_ENV = "RURALSIM_NO_PLAN_CACHE"
"""Environment variable: set to anything but ``0`` or empty to plan every time."""

_PACKAGE = Path(__file__).resolve().parents[1]


def cache_folder() -> Path:
    """Where plans are kept: ``$RURALSIM_CACHE_DIR``, else the user's cache folder."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit) / "plans"
    # The XDG base directory rule: a relative XDG_CACHE_HOME is invalid and ignored.
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "ruralsim" / "plans"


def cache_enabled() -> bool:
    """False when ``RURALSIM_NO_PLAN_CACHE`` asks for a fresh plan every time."""
    return os.environ.get(NO_CACHE_ENV, "").strip() in ("", "0")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def solver_version() -> str:
    """The installed PyVRP's version (read from its metadata, without importing it)."""
    return _version("pyvrp")


def ruralsim_version() -> str:
    """The installed ruralsim's version."""
    return _version("ruralsim")


@functools.cache
def source_digest() -> str:
    """SHA-256 of every module of the ``sim`` package, by path and content."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def plan_key(sections: str, network: Network) -> str | None:
    """The cache key of a plan, or None when the network CSV it names cannot be read.

    ``sections`` is the JSON of the scenario's planning sections, ``network`` its
    network section (a CSV network is keyed by the file's content, not its name).
    """
    csv_digest = None
    if network.source == "csv":
        try:
            csv_digest = hashlib.sha256(Path(network.csv_path).read_bytes()).hexdigest()
        except OSError:
            return None  # planning will say what is wrong with the file
    parts = {
        "format": PLAN_FORMAT,
        "sections": sections,
        "network_csv": csv_digest,
        "pyvrp": solver_version(),
        "ruralsim": ruralsim_version(),
        "source": source_digest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _read(path: Path, key: str) -> Plan | None:
    try:
        with path.open("rb") as file:
            stored = pickle.load(file)
    except Exception:  # noqa: BLE001 - missing or damaged in any way: plan again
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    plan = stored.get("plan")
    return plan if isinstance(plan, Plan) else None


def _write(path: Path, key: str, plan: Plan) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.")
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump({"key": key, "plan": plan}, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)  # readers see the old entry or the whole new one
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        pass  # a read-only or full disk costs only the time to plan again


def cached_plan(sections: str, network: Network, build: Callable[[], Plan]) -> Plan:
    """The plan stored under these sections' key, else ``build()`` stored there."""
    key = plan_key(sections, network) if cache_enabled() else None
    if key is None:
        return build()
    path = cache_folder() / f"{key}.pickle"
    plan = _read(path, key)
    if plan is None:
        plan = build()
        _write(path, key, plan)
    return plan
