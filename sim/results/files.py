"""Writing results: whole or not at all, and never over what the user did not give us.

Every file is written atomically (:func:`write_text_atomic`); a results folder is built
in a temporary sibling and moved into place (:func:`results_folder`); a target that is
not empty and not recognisably ruralsim's is refused before anything is written
(:func:`check_folder_target`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class OutputError(Exception):
    """A place the results cannot or must not be written to (refused before writing)."""


MANIFEST = "manifest.json"
"""The file that marks a results folder as ruralsim's."""

_MANIFEST_LIMIT = 64 * 1024 * 1024  # far above any real manifest; a bigger file is not ours


def is_results_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a manifest that ruralsim wrote (run, compare or sweep).

    A ``manifest.json`` alone is not enough (web projects have one too): it must be a
    JSON object with the fields every ruralsim manifest has.
    """
    path = Path(folder) / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > _MANIFEST_LIMIT:
            return False
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and "package_version" in data
        and ("scenario_name" in data or "kind" in data)
    )


def check_out_path(path: str | os.PathLike) -> Path:
    """Refuse output paths that do not name a folder or file of their own.

    ``''`` (which :class:`~pathlib.Path` reads as ``.``), ``.``, ``..``, a path ending
    in ``..`` and the root name a folder that holds other things and cannot be
    replaced by renaming.

    Returns
    -------
    Path
        The path, unchanged.

    Raises
    ------
    OutputError
        If the path is one of those.
    """
    text = os.fspath(path)
    if not text.strip() or Path(text).name in ("", ".."):
        raise OutputError(
            f"{text!r} names the current, parent or root folder, which hold other files; "
            "give a name of its own, e.g. results/NAME"
        )
    return Path(text)


def check_folder_target(
    target: Path, ours: Callable[[Path], bool] = is_results_folder, what: str = "results folder"
) -> None:
    """Refuse to replace anything but an empty folder or one that ``ours`` recognises.

    Parameters
    ----------
    target : Path
        Where a folder is to be written.
    ours : callable
        Whether an existing, non-empty folder was written by ruralsim and may be replaced.
    what : str
        What ``ours`` recognises, for the message.

    Raises
    ------
    OutputError
        If ``target`` is a file, or a folder with contents that are not ours.
    """
    target = check_out_path(target)
    if target.is_symlink() and not target.exists():
        return  # a dangling link: replacing it touches no data
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} exists and is not a folder; give a new or empty folder")
    if target.is_dir() and any(target.iterdir()) and not ours(target):
        raise OutputError(
            f"{target} exists and is not a ruralsim {what}; it holds files ruralsim did not "
            "write, so it is left untouched: give a new or empty folder"
        )


def _written_name(exc: OSError, path: Path) -> OSError:
    """The same error naming the file the user knows (not a temporary one)."""
    return OSError(exc.errno, exc.strerror or str(exc), os.fspath(path))


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never half of it.

    Raises
    ------
    OSError
        If it cannot be written (read-only, disk full ...), naming ``path``; no
        temporary file is left behind.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _written_name(exc, path) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; results are not
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise _written_name(exc, path) from exc
        raise


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically, with stable formatting."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def results_folder(
    target: Path, ours: Callable[[Path], bool] = is_results_folder, what: str = "results folder"
) -> Iterator[Path]:
    """Build a folder in a temporary sibling, then move it into place.

    Only an empty folder, or one that ``ours`` recognises as written by ruralsim,
    is replaced: anything else is refused before anything is written (and checked
    again just before the move). An interrupted or failed run leaves the previous
    folder (if any) untouched, and no partial folder behind.

    Parameters
    ----------
    target : Path
        The folder to write.
    ours : callable
        Whether an existing folder may be replaced (default: it has our manifest).
    what : str
        What ``ours`` recognises, for messages.

    Yields
    ------
    Path
        The temporary folder to write into.

    Raises
    ------
    OutputError
        If ``target`` is refused, or cannot be written (naming it and why).
    """
    target = Path(target)
    check_folder_target(target, ours, what)
    # A link to a folder (results/run -> /big/disk/run) is written through, not replaced.
    place = target.resolve() if target.is_symlink() and target.is_dir() else target
    work = None
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=place.parent, prefix=f".{place.name}.partial-"))
        os.chmod(work, 0o777 & ~_umask())
        yield work
        check_folder_target(target, ours, what)  # it may have changed during a long run
        _move_into_place(work, place)
    except BaseException as exc:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        if isinstance(exc, OSError) and _inside(exc.filename, place.parent):
            shown = _shown(exc.filename, work, target)
            raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from exc
        raise


def _inside(filename, folder: Path | None) -> bool:
    """Whether an error's file is in ``folder`` (unnamed: assume so)."""
    if filename is None:
        return True
    if folder is None:
        return False
    try:
        return Path(os.fsdecode(filename)).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError, TypeError):
        return False


def _shown(filename, work: Path | None, target: Path) -> Path:
    """The path to name in a message: in the temporary folder, its place in ``target``."""
    if filename is None or work is None:  # failed making the temporary folder: as target
        return target
    if _inside(filename, work):
        assert work is not None
        return target / Path(os.fsdecode(filename)).resolve().relative_to(work.resolve())
    return Path(os.fsdecode(filename))


def _move_into_place(work: Path, target: Path) -> None:
    old = None
    if target.exists() or target.is_symlink():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        while old.exists() or old.is_symlink():  # left by a run that was killed
            old = old.with_name(old.name + "-")
        os.replace(target, old)
    try:
        os.replace(work, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)  # put the previous results back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
