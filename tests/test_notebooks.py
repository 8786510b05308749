"""The notebooks run from top to bottom, and are stored without outputs."""

from __future__ import annotations

import pytest

from tests.conftest import REPO

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = REPO / "notebooks"


def execute(name: str, monkeypatch, out) -> tuple[list, str]:
    """Run a notebook (stored without outputs) into *out*: its code cells and their text."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), (
        "store notebooks without outputs"
    )
    before = sorted(NOTEBOOKS.iterdir())
    # The kernel imports this checkout's sim, however the package was installed.
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    # Notebooks leave their results (and 02 its report) for the reader: here, in out.
    monkeypatch.setenv("RURALSIM_NOTEBOOK_OUT", str(out))
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": NOTEBOOKS}}
    )
    client.execute()
    assert sorted(NOTEBOOKS.iterdir()) == before  # the notebook writes nothing
    outputs = "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
        for cell in code
        for output in cell.outputs
    )
    return code, outputs


def images(code: list) -> int:
    return sum("image/png" in output.get("data", {}) for cell in code for output in cell.outputs)


@pytest.mark.parametrize("name", ["01_quickstart.ipynb", "02_direct_vs_township.ipynb"])
def test_notebook_executes(name, monkeypatch, tmp_path):
    code, outputs = execute(name, monkeypatch, tmp_path / "out")
    assert "leiyang_via_township" in outputs and "lead_time_p90_h" in outputs
    assert "faster" in outputs or "slower" in outputs or "no significant" in outputs
    if name == "02_direct_vs_township.ipynb":
        assert images(code) == 6  # CDF, headline bars, cost vs time, map, daily, distance bands
        assert "95% CI" in outputs and "95% 置信区间" in outputs  # summaries, English and Chinese
        assert "report.html" in outputs
        # Left where the reader can open it, with its figures.
        assert (tmp_path / "out" / "main" / "report.html").is_file()
        assert any((tmp_path / "out" / "main" / "report_figures").glob("*.png"))


def test_notebook_03_shows_a_csv_county_buses_a_custom_model_and_a_sweep(monkeypatch, tmp_path):
    code, outputs = execute("03_own_county_buses_custom_sweep.ipynb", monkeypatch, tmp_path)
    assert images(code) == 4  # the CSV county's map, the bus map, cost vs time, the sweep
    # The places CSV's township ids, reached from the ledger's numbers.
    assert all(township in outputs for township in ("DONGHU", "XISHAN", "NANLING"))
    assert "bus_parcels_share" in outputs
    assert "example_county_bikes" in outputs and "lead_time_mean_h" in outputs
    assert "stations.crossdock_min" in outputs
    for kept in ("county", "bus", "bikes"):
        assert (tmp_path / kept / "manifest.json").is_file()
