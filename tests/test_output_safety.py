"""Data ruralsim must never touch: user folders, the results a report reads, half files.

Every refusal is exit status 2 with one line naming the path, no traceback, the
user's files byte for byte as they were and no ``.NAME.partial-*``/``.old-*`` or
``*.tmp`` leftovers anywhere.
"""

from __future__ import annotations

import errno
import functools
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import sim.results.files
from sim.cli import main
from tests.conftest import cli

TINY = """\
name: {name}
horizon: {{days: 3, warmup_days: 1, drain_days: 1}}
network: {{townships: 2, villages_per_township: [2, 3], area_km2: 400}}
demand: {{parcels_per_capita_day: 0.01}}
routing: {{iterations: 30}}
delivery: {{model: {model}}}
"""


def write_tiny(folder: Path, name: str = "tiny", model: str = "direct") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(TINY.format(name=name, model=model))
    return path


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_tiny(tmp_path)


@pytest.fixture
def pair(tmp_path) -> list[Path]:
    return [write_tiny(tmp_path, "tiny_direct"), write_tiny(tmp_path, "tiny_via", "via_township")]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``folder`` with its bytes (None for a folder)."""
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


def leftovers(folder: Path) -> list[str]:
    """Temporary names a failed or refused write would leave behind."""
    marks = (".partial-", ".old-", ".tmp")
    return [str(p) for p in folder.rglob("*") if any(mark in p.name for mark in marks)]


def refused(code: int, err: str, *phrases: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    for phrase in phrases:
        assert phrase in err, err


def users_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "thesis.tex").write_text("\\chapter{Results}\n")
    (path / "data").mkdir()
    (path / "data" / "survey.csv").write_bytes(b"village,parcels\nA,3\n")
    return path


# --------------------------------------------------------------------------- scenario names


@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize("kind", ["absolute", "climbing"])
def test_a_name_that_would_write_outside_results_is_refused(
    tmp_path, capsys, monkeypatch, command, kind
):
    home = users_folder(tmp_path / "home" / "thesis")
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    name = str(home) if kind == "absolute" else "../../home/thesis"
    evil = tmp_path / "evil.yaml"
    evil.write_text(TINY.format(name=name, model="direct"))
    before = snapshot(tmp_path / "home")
    argv = [command, evil] if command == "run" else [command, write_tiny(tmp_path), evil]
    code, _, err = cli(argv, capsys)
    refused(code, err, "evil.yaml: name:")
    assert snapshot(tmp_path / "home") == before
    assert not (work / "results").exists() and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- run --out


def test_run_refuses_a_folder_it_did_not_write(tiny, tmp_path, capsys):
    mine = users_folder(tmp_path / "mine")
    before = snapshot(mine)
    code, _, err = cli(["run", tiny, "--out", mine, "--quiet"], capsys)
    refused(code, err, str(mine), "not a ruralsim results folder", "new or empty folder")
    assert snapshot(mine) == before and leftovers(tmp_path) == []


def test_a_web_projects_manifest_is_not_ours(tiny, pair, tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    (site / "manifest.json").write_text('{"name": "My app", "start_url": "/"}\n')
    (site / "index.html").write_text("<p>hello</p>\n")
    before = snapshot(site)
    for argv in (["run", tiny], ["compare", *pair], ["sweep", tiny, "--vary", "seed=1,2"]):
        code, _, err = cli([*argv, "--out", site, "--quiet", "--replications", 2], capsys)
        refused(code, err, str(site), "not a ruralsim results folder")
    assert snapshot(site) == before and leftovers(tmp_path) == []


def test_run_uses_an_empty_folder_and_replaces_its_own_results(tiny, tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    code, _, err = cli(["run", tiny, "--out", out, "--quiet"], capsys)
    assert code == 0, err
    first = (out / "manifest.json").read_bytes()
    code, _, err = cli(["run", tiny, "--out", out, "--quiet", "--seed", 9], capsys)
    assert code == 0, err
    assert (out / "manifest.json").read_bytes() != first and '"seed": 9' in (
        out / "manifest.json"
    ).read_text()
    assert leftovers(tmp_path) == []


def test_ctrl_c_mid_run_keeps_the_previous_results_whole(tiny, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert cli(["run", tiny, "--out", out, "--quiet"], capsys)[0] == 0
    before = snapshot(out)
    monkeypatch.setattr("sim.experiments.tasks.replicate_kpis", _interrupt)
    code, _, err = cli(["run", tiny, "--out", out, "--quiet", "--seed", 5], capsys)
    assert code == 130 and "Traceback" not in err
    assert snapshot(out) == before and leftovers(tmp_path) == []


def test_a_link_to_a_results_folder_is_written_through(tiny, tmp_path, capsys):
    real = tmp_path / "disk" / "run1"
    assert cli(["run", tiny, "--out", real, "--quiet"], capsys)[0] == 0
    link = tmp_path / "run1"
    link.symlink_to(real, target_is_directory=True)
    assert cli(["run", tiny, "--out", link, "--quiet", "--seed", 5], capsys)[0] == 0
    assert link.is_symlink() and '"seed": 5' in (real / "manifest.json").read_text()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "report"])
@pytest.mark.parametrize("out", ["", ".", "..", "a/..", "FILE"])
def test_out_that_names_no_folder_of_its_own_is_refused(
    tiny, pair, tmp_path, capsys, monkeypatch, command, out
):
    here = tmp_path / "here"
    here.mkdir()
    (here / "keep.txt").write_text("keep")
    monkeypatch.chdir(here)
    if out == "FILE":
        if command == "report":
            pytest.skip("a report's --out is a file")
        out = "keep.txt"
    before = snapshot(tmp_path)
    argv = {
        "run": ["run", tiny],
        "compare": ["compare", *pair],
        "sweep": ["sweep", tiny, "--vary", "seed=1,2"],
        "report": ["report", tmp_path / "no-results"],
    }[command]
    quiet = [] if command == "report" else ["--quiet"]
    code, _, err = cli([*argv, "--out", out, *quiet], capsys)
    refused(code, err, repr(out) if out != "keep.txt" else "keep.txt")
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------- report --out


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A run results folder (read only by the tests that use it)."""
    folder = tmp_path_factory.mktemp("results")
    scenario = write_tiny(folder)
    out = folder / "run"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.mark.parametrize(
    "inside",
    ["kpis.csv", "manifest.json", "details/daily.csv", "details/new.html", "sub/report.html"],
)
def test_report_never_writes_over_the_results_it_reads(results, capsys, inside):
    before = snapshot(results)
    code, _, err = cli(["report", results, "--out", results / inside], capsys)
    refused(code, err, str(results / inside), "inside the results folder", "report.html")
    assert snapshot(results) == before


def test_report_refuses_a_folder_or_a_users_figures_folder(results, tmp_path, capsys):
    before = snapshot(results)
    code, _, err = cli(["report", results, "--out", results / "details"], capsys)
    refused(code, err, "is a folder")
    figures = users_folder(tmp_path / "summary_figures")
    mine = snapshot(figures)
    code, _, err = cli(["report", results, "--out", tmp_path / "summary.html"], capsys)
    refused(code, err, str(figures), "choose another --out")
    assert snapshot(figures) == mine and not (tmp_path / "summary.html").exists()
    assert snapshot(results) == before


# --------------------------------------------------------------------------- read-only, disk full


class _FullDisk:
    """A text file whose writes fail as on a full disk (no file name: as the OS does)."""

    def __init__(self, handle):
        self._handle = handle

    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()


def full_disk(monkeypatch) -> None:
    """Every results file ruralsim writes fails for want of space."""
    real = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        handle = real(fd, mode, *args, **kwargs)
        return _FullDisk(handle) if "w" in mode and kwargs.get("newline") == "" else handle

    monkeypatch.setattr(sim.results.files.os, "fdopen", fdopen)


def read_only(monkeypatch, folder: Path) -> None:
    """``folder`` behaves as read-only (tests run as root, where chmod stops nothing)."""

    def deny(path):
        raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    def under(path) -> bool:
        return Path(path).resolve().is_relative_to(folder.resolve())

    real_mkstemp, real_mkdtemp, real_mkdir = tempfile.mkstemp, tempfile.mkdtemp, Path.mkdir

    def mkstemp(suffix=None, prefix=None, dir=None, text=False):
        if dir is not None and under(dir):
            deny(Path(dir) / f"{prefix}XXXXXX{suffix}")
        return real_mkstemp(suffix, prefix, dir, text)

    def mkdtemp(suffix=None, prefix=None, dir=None):
        if dir is not None and under(dir):
            deny(Path(dir) / f"{prefix}XXXXXX")
        return real_mkdtemp(suffix, prefix, dir)

    def mkdir(self, mode=0o777, parents=False, exist_ok=False):
        if under(self) and not (exist_ok and self.is_dir()):
            deny(self)
        return real_mkdir(self, mode, parents, exist_ok)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)


def command_for(kind: str, tmp_path: Path, pair: list[Path], results: Path, out: Path) -> list:
    quick = ["--replications", 2, "--quiet"]
    return {
        "run": ["run", pair[0], "--out", out, "--quiet"],
        "compare": ["compare", *pair, "--out", out, *quick],
        "sweep": ["sweep", pair[0], "--vary", "seed=1,2", "--out", out, *quick],
        "report": ["report", results, "--out", out.with_name(f"{out.name}.html")],
        "check": ["check", pair[0], "--baseline", out, "--update", *quick],
    }[kind]


COMMANDS = ["run", "compare", "sweep", "report", "check"]


@pytest.mark.parametrize("problem", ["read-only", "disk full"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_target_that_cannot_be_written_is_exit_2_naming_it(
    pair, results, tmp_path, capsys, monkeypatch, command, problem
):
    target = tmp_path / "target"
    target.mkdir()
    out = target / "out"
    before = snapshot(results)
    if problem == "read-only":
        read_only(monkeypatch, target)
        reason = "Permission denied"
    else:
        full_disk(monkeypatch)
        reason = "No space left on device"
    code, _, err = cli(command_for(command, tmp_path, pair, results, out), capsys)
    refused(code, err, str(out), reason)
    assert len(err.strip().splitlines()) == 1, err
    assert leftovers(tmp_path) == [] and snapshot(results) == before
    if command in ("run", "report"):  # written whole or not at all
        assert sorted(p.name for p in target.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_really_read_only_folder(pair, tmp_path, capsys):
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o555)
    try:
        code, _, err = cli(["run", pair[0], "--out", target / "out", "--quiet"], capsys)
        refused(code, err, str(target / "out"), "Permission denied")
    finally:
        target.chmod(0o755)
    assert list(target.iterdir()) == []


# --------------------------------------------------------------------------- Ctrl-C


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("command", COMMANDS + ["validate", "warmup"])
def test_ctrl_c_early_in_any_command_is_exit_130(
    pair, results, tmp_path, capsys, monkeypatch, command
):
    # Every command starts by reading its scenario (report: its results folder).
    monkeypatch.setattr("sim.scenario.resolve", _interrupt)
    monkeypatch.setattr("sim.report.html.load_results", _interrupt)
    out = tmp_path / "out"
    argv = {
        "validate": ["validate", pair[0]],
        "warmup": ["warmup", pair[0], "--replications", 2, "--quiet"],
    }.get(command) or command_for(command, tmp_path, pair, results, out)
    before = snapshot(results)
    code, printed, err = cli(argv, capsys)
    assert code == 130 and "Traceback" not in err
    assert err.startswith("ruralsim: interrupted") and len(err.strip().splitlines()) == 1
    assert not out.exists() and leftovers(tmp_path) == [] and snapshot(results) == before


def test_ctrl_c_while_the_cli_imports_its_modules(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sim.cli, "bad_input", _interrupt)  # the first import in main
    code, _, err = cli(["run", tiny, "--out", tmp_path / "out"], capsys)
    assert code == 130 and "Traceback" not in err and not (tmp_path / "out").exists()


HOOK = """\
import os, signal, sys

class _InterruptOnImport:
    # Sends this process a real SIGINT when the named module is first imported.
    def find_spec(self, name, path=None, target=None):
        if name == os.environ.get("RURALSIM_TEST_SIGINT_AT"):
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, _InterruptOnImport())
"""


@functools.cache
def _imported_before_main() -> frozenset[str]:
    """The modules that importing the console script's module already imports."""
    probe = "import sys, sim.cli; print(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return frozenset(done.stdout.split())


@pytest.mark.parametrize("module", ["numpy", "sim.runner", "tqdm", "pyvrp"])
def test_sigint_at_import_points_of_a_real_process(tiny, tmp_path, module):
    # A module imported before main() runs would put a Ctrl-C outside its reach.
    assert module not in _imported_before_main()
    (tmp_path / "hook").mkdir()
    (tmp_path / "hook" / "sitecustomize.py").write_text(HOOK)
    env = {**os.environ, "RURALSIM_TEST_SIGINT_AT": module, "PYTHONPATH": str(tmp_path / "hook")}
    out = tmp_path / "out"
    # Not --quiet: the progress bar's tqdm is one of the points (a quiet run never loads it);
    # --no-plan-cache: PyVRP is another, loaded only to plan (not for a cached plan).
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(tiny), "--out", str(out), "--no-plan-cache"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("ruralsim: interrupted")
    assert not out.exists() and leftovers(tmp_path) == []


# --------------------------------------------------------------------------- kill -9


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(stat.parent.name))
    return children


def _descendants(pid: int) -> dict[int, int]:
    """Every process below ``pid`` with its depth (1: a child)."""
    children, found, todo = _children(), {}, [(pid, 0)]
    while todo:
        parent, depth = todo.pop()
        for child in children.get(parent, []):
            found[child] = depth + 1
            todo.append((child, depth + 1))
    return found


def _stat(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name (state first); [] once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return bool(fields) and fields[0] not in ("Z", "X")  # a zombie has ended: not yet reaped


def _cpu_s(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_kill_9_of_a_parallel_run_leaves_no_worker_alive(tiny, tmp_path):
    # Replications of seconds each, so the workers are still busy when the run is killed.
    long = ["--set", "horizon.days=400", "--set", "demand.parcels_per_capita_day=0.2"]
    argv = [sys.executable, "-m", "sim", "run", str(tiny), "--jobs", "2", "--replications", "4"]
    process = subprocess.Popen(
        [*argv, *long, "--out", str(tmp_path / "out"), "--quiet"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: dict[int, int] = {}
    try:
        # Pool workers are the grandchildren (below the fork server); wait until both
        # have started and done some work, i.e. are past their start-up.
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, "the run ended before its workers were seen"
            assert time.monotonic() < deadline, f"no busy workers after 90 s: {seen}"
            seen = _descendants(process.pid)
            workers = [pid for pid, depth in seen.items() if depth >= 2]
            if len(workers) >= 2 and all(_cpu_s(pid) >= 0.5 for pid in workers):
                break
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 15  # seconds only on a loaded machine; before: forever
        while any(_alive(pid) for pid in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in seen if _alive(pid)] == []
    finally:
        for pid in [process.pid, *seen]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
