"""A page whose output is slow to come still gets it.

Voila builds a page's HTML from what the notebook's cells output. That output travels on the
kernel's output channel (IOPub) and may arrive after the cell's reply; Voila's executor
(nbclient) waits 4 s for it by default and then gives it up: the person's page stays empty.
In a room of forty pages building at once on two cores it came seconds late
(``bench/bench_room.py``: 7 empty pages of 20). Here a real kernel's output channel is held up
for 6 s, as in such a burst, and the executor runs with the configuration the server gives
Voila (``actionlab.server.configure_voila``) and, to show the case is real, with Voila's own.
"""

from __future__ import annotations

import nbformat
import pytest
from traitlets.config import Config

from actionlab.server import configure_voila
from tests.support.loops import run_in_own_loop

pytestmark = pytest.mark.integration

#: The cell's output is held up on the kernel's output channel for 6 s; the kernel replies at
#: once (its flush at the end of the cell gives up after 0.2 s instead of waiting).
CELL = """\
import sys, time
from IPython.display import HTML, display
sys.stdout.flush_timeout = sys.stderr.flush_timeout = 0.2
get_ipython().kernel.iopub_thread.io_loop.add_callback(time.sleep, 6)
display(HTML('<div class="wb-page">the page</div>'))
"""


def run(config: Config) -> list[dict]:
    from voila.execute import VoilaExecutor

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    executor = VoilaExecutor(nb, config=config, kernel_name="python3", timeout=60)

    async def execute():
        await executor.async_execute()
        return nb.cells[0].outputs

    return run_in_own_loop(execute, timeout=120)


@pytest.fixture
def kernel_dirs(tmp_path, monkeypatch):
    for name, sub in (("IPYTHONDIR", "ipython"), ("JUPYTER_RUNTIME_DIR", "runtime")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(name, str(tmp_path / sub))


def shown(outputs: list[dict]) -> list[str]:
    return [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]


def test_the_server_waits_for_a_page_output_that_comes_late(kernel_dirs):
    config = Config()
    configure_voila(config)
    assert shown(run(config)) == ['<div class="wb-page">the page</div>']


def test_voila_alone_gives_that_output_up(kernel_dirs):
    """The control: the same notebook with Voila's defaults comes back without its page."""
    assert shown(run(Config())) == []
