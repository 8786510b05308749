"""A test written for mutants of sim/analysis/kpi_table.main that survived mutation testing:
the README is read and written as UTF-8 whatever the locale's encoding. See docs/testing.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sim
from sim.analysis.kpi_table import END, START, markdown_table


def test_readme_in_chinese_is_updated_under_an_ascii_locale(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"农村快递\n{START}\nold\n{END}\n县乡村\n", encoding="utf-8")
    # The C locale without Python's UTF-8 mode or locale coercion: the locale encoding
    # is ASCII, so only an explicit UTF-8 reads and writes the Chinese text.
    env = {
        **os.environ,
        "LC_ALL": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONPATH": str(Path(sim.__file__).resolve().parents[1]),
    }
    # main() imported, not run as __main__: the same function, and mutation testing's
    # switched functions live in the module sim.analysis.kpi_table
    code = "import sys; from sim.analysis.kpi_table import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "--readme", str(readme)],
        capture_output=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    expected = f"农村快递\n{START}\n{markdown_table()}{END}\n县乡村\n"
    assert readme.read_text(encoding="utf-8") == expected
