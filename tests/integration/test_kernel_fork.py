"""Page kernels forked from one parent process (actionlab/kernel_fork.py, kernel_zygote.py).

Real kernels through jupyter_client with the server's own kernel specification: they come
from one parent that has imported the store and the widgets, they run code, they can be
interrupted and shut down, a killed one is seen dead, and they end with their parent.
``ACTIONLAB_FORK_KERNELS=0`` starts them as before.
"""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from actionlab import kernel_fork, server
from actionlab.settings import Settings
from tests.support.server import VoilaServer, is_kernel

pytestmark = pytest.mark.integration


@pytest.fixture
def kernels(tmp_path, monkeypatch):
    """Start page kernels as the server would; every one and their parent end afterwards."""
    from jupyter_client.manager import start_new_kernel

    plan = server.plan(Settings(db_url=f"sqlite:///{tmp_path}/x.db"))
    for name in ("JUPYTER_PATH", "PATH", "ACTIONLAB_DB"):
        monkeypatch.setenv(name, plan.env[name])
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    started = []

    def start():
        manager, client = start_new_kernel(kernel_name="python3", startup_timeout=120)
        started.append((manager, client))
        return manager, client

    kernel_fork.reset()
    yield start
    for manager, client in started:
        client.stop_channels()
        if manager.is_alive():
            manager.shutdown_kernel(now=True)
    kernel_fork.reset()


def run(client, code: str) -> tuple[str, str]:
    """Run ``code`` in a kernel: (reply status, what it printed)."""
    printed: list[str] = []
    reply = client.execute_interactive(
        code, timeout=60,
        output_hook=lambda m: printed.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    return reply["content"]["status"], "".join(printed)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_page_kernels_come_from_one_parent_that_has_imported_the_store(kernels):
    first, one = kernels()
    second, two = kernels()
    assert isinstance(first.provisioner.process, kernel_fork.ForkedKernel)
    a, b = psutil.Process(first.provisioner.pid), psutil.Process(second.provisioner.pid)
    assert a.ppid() == b.ppid()
    parent = psutil.Process(a.ppid())
    assert "actionlab.kernel_zygote" in parent.cmdline()
    assert parent.ppid() == os.getpid()
    # each shows its own command line, with its connection file, for ps and the tools
    assert is_kernel(a.cmdline()) and first.connection_file in " ".join(a.cmdline())
    assert not is_kernel(parent.cmdline())
    status, printed = run(one, "import sys, os; print('sqlalchemy.orm' in sys.modules, "
                               "'widgets.pages' in sys.modules, os.getppid(), 6 * 7)")
    assert status == "ok"
    assert printed.split() == ["True", "True", str(parent.pid), "42"]
    assert run(two, "import sys; print(sys.modules.get('debugpy'))") == ("ok", "None\n")


def test_a_forked_kernel_is_interrupted_killed_and_shut_down_like_any(kernels):
    manager, client = kernels()
    client.execute("import time; print('sleeping', flush=True); time.sleep(60)")
    VoilaServer.wait_for(lambda: client.get_iopub_msg(timeout=30)["content"].get("text") == "sleeping\n",
                         30, "the kernel busy with its sleep")
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    # ipykernel aborts the requests that reach it while it is still clearing up after an error
    # (a loaded machine can send the next one that soon): ask again until one is run
    answer: list[tuple[str, str]] = []
    VoilaServer.wait_for(lambda: answer.append(run(client, "print('still here')"))
                         or answer[-1][0] != "aborted", 30, "the kernel running code again")
    assert answer[-1] == ("ok", "still here\n")

    pid = manager.provisioner.pid
    os.kill(pid, signal.SIGKILL)
    VoilaServer.wait_for(lambda: not manager.is_alive(), 30, "the killed kernel seen dead")

    other, _ = kernels()
    other_pid = other.provisioner.pid
    other.shutdown_kernel(now=False)
    VoilaServer.wait_for(lambda: gone(other_pid), 30, "the kernel ended after its shutdown")


def test_kernels_end_with_their_parent(kernels):
    manager, _client = kernels()
    pid = manager.provisioner.pid
    parent = psutil.Process(pid).ppid()
    kernel_fork.reset()  # the server's end of the parent's socket closes, as when it exits
    VoilaServer.wait_for(lambda: gone(parent), 30, "the kernels' parent ended")
    VoilaServer.wait_for(lambda: gone(pid), 30, "its kernel ended after it")


def test_forking_can_be_turned_off(kernels, monkeypatch):
    monkeypatch.setenv("ACTIONLAB_FORK_KERNELS", "0")
    manager, client = kernels()
    assert not isinstance(manager.provisioner.process, kernel_fork.ForkedKernel)
    assert psutil.Process(manager.provisioner.pid).ppid() == os.getpid()
    assert run(client, "print(6 * 7)") == ("ok", "42\n")


def test_a_forked_kernel_hands_a_page_all_its_widget_states_at_once(kernels):
    """What a page's browser does on connecting: it opens ipywidgets' control channel and asks
    for every widget's state in one message (without it, one request per widget: a big page
    stayed on "Loading widget...")."""
    manager, client = kernels()
    assert isinstance(manager.provisioner.process, kernel_fork.ForkedKernel)
    assert run(client, "import ipywidgets; boxes = [ipywidgets.Text(value=str(n)) for n in range(3)]")[0] == "ok"
    from ipywidgets._version import __control_protocol_version__

    comm_id = "control-" + os.urandom(4).hex()
    client.session.send(client.shell_channel.socket, client.session.msg(
        "comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
        metadata={"version": __control_protocol_version__}))
    client.session.send(client.shell_channel.socket, client.session.msg(
        "comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}}))

    def states():
        message = client.get_iopub_msg(timeout=30)
        content = message["content"]
        if message["msg_type"] == "comm_msg" and content.get("comm_id") == comm_id:
            return content["data"]
        return None

    answer = VoilaServer.wait_for(states, 30, "the kernel's answer on the control channel")
    assert answer["method"] == "update_states"
    values = {s["state"].get("value") for s in answer["states"].values()}
    assert {"0", "1", "2"} <= values
