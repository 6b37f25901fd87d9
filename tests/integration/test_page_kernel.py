"""The pages' kernel: the server's own python3 kernel specification starts ipykernel without
its debugger (about 7 MB less per page) and without IPython's history file, and it still runs
a page's code."""

from __future__ import annotations

import json

import pytest

from actionlab import server
from actionlab.paths import VOILA_TEMPLATES_ROOT
from actionlab.settings import Settings

pytestmark = pytest.mark.integration


def test_the_server_finds_the_pages_kernel_spec_first(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    plan = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db"))
    monkeypatch.setenv("JUPYTER_PATH", plan.env["JUPYTER_PATH"])
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.resource_dir == str(VOILA_TEMPLATES_ROOT / "kernels" / "python3")
    assert spec.argv[1:3] == ["-m", "actionlab.page_kernel"]
    assert json.loads((VOILA_TEMPLATES_ROOT / "kernels" / "python3" / "kernel.json").read_text())


def test_a_page_kernel_runs_code_without_the_debugger_or_a_history(tmp_path, monkeypatch):
    from jupyter_client.manager import start_new_kernel

    plan = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db"))
    monkeypatch.setenv("JUPYTER_PATH", plan.env["JUPYTER_PATH"])
    monkeypatch.setenv("PATH", plan.env["PATH"])
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    outputs: list[dict] = []
    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=120)
    try:
        reply = client.execute_interactive(
            "import sys, os; print(sys.modules.get('debugpy') is None, "
            "'actionlab.page_kernel' in ' '.join(sys.argv) or sys.argv[0].endswith('page_kernel.py'),"
            " get_ipython().history_manager.enabled, 6 * 7)", timeout=60, output_hook=lambda msg: outputs.append(msg))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok"
    printed = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert printed.split() == ["True", "True", "False", "42"]
    assert not list((tmp_path / "ipython").rglob("history.sqlite*"))
