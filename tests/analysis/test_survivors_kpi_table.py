"""A test written for mutants of sim/analysis/kpi_table.main that survived mutation testing:
the README is read and written as UTF-8 whatever the locale's encoding. See docs/testing.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sim
from sim.analysis.kpi_table import END, START, main, markdown_table


def test_readme_in_chinese_is_updated_in_any_locale(tmp_path, capsys):
    stale = f"农村快递\n{START}\nold\n{END}\n县乡村\n"
    expected = f"农村快递\n{START}\n{markdown_table()}{END}\n县乡村\n"
    here, ascii_locale = tmp_path / "here.md", tmp_path / "ascii.md"
    for readme in (here, ascii_locale):
        readme.write_text(stale, encoding="utf-8")
    # In this process (a UTF-8 locale here)...
    assert main(["--readme", str(here)]) == 0
    assert here.read_text(encoding="utf-8") == expected
    capsys.readouterr()
    # ...and in the C locale without Python's UTF-8 mode or locale coercion, whose locale
    # encoding is ASCII: only an explicit UTF-8 reads and writes the Chinese text. main()
    # is imported, not run as __main__, so that mutation testing's switched functions
    # (which live in the module sim.analysis.kpi_table) apply.
    env = {
        **os.environ,
        "LC_ALL": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONPATH": str(Path(sim.__file__).resolve().parents[1]),
    }
    code = "import sys; from sim.analysis.kpi_table import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "--readme", str(ascii_locale)],
        capture_output=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert ascii_locale.read_text(encoding="utf-8") == expected
