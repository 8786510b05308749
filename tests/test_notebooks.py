"""The notebooks run from top to bottom, and are stored without outputs."""

from __future__ import annotations

import pytest

from tests.conftest import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = REPO / "notebooks"


@pytest.mark.parametrize("name", ["01_quickstart.ipynb", "02_direct_vs_township.ipynb"])
def test_notebook_executes(name, monkeypatch, tmp_path):
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), (
        "store notebooks without outputs"
    )
    before = sorted(NOTEBOOKS.iterdir())
    # The kernel imports this checkout's sim, however the package was installed.
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    # Notebook 02 leaves its results and report for the reader: here, in tmp_path.
    monkeypatch.setenv("RURALSIM_NOTEBOOK_OUT", str(tmp_path / "out"))
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}
    )
    client.execute()
    outputs = "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
        for cell in code
        for output in cell.outputs
    )
    assert "leiyang_via_township" in outputs and "lead_time_p90_h" in outputs
    assert "faster" in outputs or "slower" in outputs or "no significant" in outputs
    assert sorted(NOTEBOOKS.iterdir()) == before  # the notebook writes nothing
    if name == "02_direct_vs_township.ipynb":
        images = [
            output
            for cell in code
            for output in cell.outputs
            if "image/png" in output.get("data", {})
        ]
        assert len(images) == 6  # CDF, headline bars, cost vs time, map, daily, distance bands
        assert "95% CI" in outputs and "95% 置信区间" in outputs  # summaries, English and Chinese
        assert "report.html" in outputs
        # Left where the reader can open it, with its figures.
        assert (tmp_path / "out" / "main" / "report.html").is_file()
        assert any((tmp_path / "out" / "main" / "report_figures").glob("*.png"))
