"""The results-folder format: its manifest, its writer and its reader, side by side.

This package is the one owner of what ruralsim writes to disk:

- :mod:`sim.results.files` writes files atomically and refuses targets that are not
  ruralsim's (light: the CLI checks ``--out`` with it before anything heavy is loaded);
- :mod:`sim.results.manifest` is the typed ``manifest.json`` of every kind of folder
  (run, compare, sweep) and its status;
- :mod:`sim.results.records` keeps KPI records in JSON (NaN as null);
- :mod:`sim.results.provenance` says how a result was made (command, versions);
- :mod:`sim.results.reader` reads a finished folder back, checking every table.

The folder layouts are described in ``docs/results.md``.
"""

from sim.results.files import (
    MANIFEST,
    OutputError,
    check_folder_target,
    check_out_path,
    is_results_folder,
    results_folder,
    write_json,
    write_text_atomic,
)
from sim.results.provenance import command_line, package_version, versions
from sim.results.records import nan_to_null, null_to_nan, row_from_json, row_to_json

__all__ = [
    "MANIFEST",
    "OutputError",
    "check_folder_target",
    "check_out_path",
    "command_line",
    "is_results_folder",
    "nan_to_null",
    "null_to_nan",
    "package_version",
    "results_folder",
    "row_from_json",
    "row_to_json",
    "versions",
    "write_json",
    "write_text_atomic",
]
