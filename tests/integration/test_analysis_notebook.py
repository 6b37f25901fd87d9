"""The analysis notebook, run headless as JupyterLab would run it, on demo workshops made by
the ``actionlab`` command in a temporary store (chosen through ACTIONLAB_DB, never HOME): it runs
without an error and shows the tables and charts of the workshops it finds. Under Voila it
stops at its first cell, before reading anything."""

from __future__ import annotations

import html
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from actionlab.paths import NOTEBOOKS_DIR
from actionlab.store import Store

pytestmark = pytest.mark.integration

NOTEBOOK = NOTEBOOKS_DIR / "analysis.ipynb"


def read_notebook():
    return nbformat.read(NOTEBOOK, as_version=4)


def execute(nb, cwd) -> None:
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()


def outputs(nb, mime: str) -> list[str]:
    return [out["data"][mime] for cell in nb.cells if cell.cell_type == "code"
            for out in cell.outputs if mime in out.get("data", {})]


@pytest.fixture
def demo_store(tmp_path, monkeypatch):
    """A store with the demo workshop in English and in Chinese; its URL in ACTIONLAB_DB."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    for lang in ("en", "zh"):
        done = subprocess.run([sys.executable, "-m", "actionlab", "demo", "--lang", lang, "--db", url],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    monkeypatch.setenv("ACTIONLAB_DB", url)
    store = Store.open(url)
    try:
        workshops = store.find_workshops()
        groups = {ws.code: [g.name for g in store.find_groups(ws.id)] for ws in workshops}
    finally:
        store.close()
    return url, groups


def test_the_notebook_is_kept_without_outputs():
    nb = read_notebook()
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    assert "DB_URL" in code[0].source and "CODES" in code[0].source


def test_the_notebook_shows_the_workshops_in_the_store(demo_store, tmp_path):
    _url, groups = demo_store
    nb = read_notebook()
    execute(nb, tmp_path)  # raises CellExecutionError if any cell fails
    tables = "\n".join(outputs(nb, "text/html"))
    newest = list(groups)[-1]
    for name in groups[newest]:  # the workshop looked at closely: its groups and members
        assert html.escape(name) in tables
    for code in groups:  # and every workshop in the comparison
        assert code in tables
    # The trend and timeline of the workshop, the trend across workshops, and pandas plots.
    assert len(outputs(nb, "image/png")) >= 3
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error" or out.get("name") == "stderr"]
    assert not errors
    assert not list(tmp_path.glob("*.ipynb"))  # nothing written beside the run


def test_under_voila_the_notebook_stops_before_reading(demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    nb = read_notebook()
    with pytest.raises(CellExecutionError, match="JupyterLab"):
        execute(nb, tmp_path)
    assert not outputs(nb, "text/html") and not outputs(nb, "image/png")
