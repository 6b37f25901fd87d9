"""A real ``actionlab serve`` (Voila) process for browser tests, on a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: What a kernel process runs: the pages' own launcher, or ipykernel's.
KERNEL_MODULES = {"actionlab.page_kernel", "ipykernel_launcher"}


def is_kernel(cmdline: list[str]) -> bool:
    """Whether a process's command line (psutil's ``cmdline()``) is a page kernel's. A forked
    kernel's line is one string set by its parent (``actionlab/kernel_zygote.py``)."""
    return any(part in KERNEL_MODULES for part in " ".join(cmdline).split())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terminate(proc: subprocess.Popen, grace: float = 20) -> None:
    """SIGTERM, then SIGKILL if ``proc`` has not ended within ``grace`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class VoilaServer:
    """Starts ``python -m actionlab serve`` with its own HOME, Jupyter dirs and database."""

    def __init__(self, root: Path, db_url: str, key: str = "test-facilitator-key",
                 port: int | None = None, extra_env: dict[str, str] | None = None, *,
                 own_group: bool = False, base_url: str = "/"):
        """``own_group`` starts the server in a process group of its own, so that
        :meth:`crash` can kill it (and whatever it started there) at once. ``base_url`` serves
        the pages under a path (``/room1/``: one of several rooms behind a proxy); ``base``
        stays the bare origin, so ``base + href`` opens a link a page shows."""
        from actionlab.urls import base_path

        self.own_group = own_group
        self.base_url = base_path(base_url)
        self.root = Path(root)
        self.db_url = db_url
        self.key = key
        self.port = port or free_port()
        self.extra_env = dict(extra_env or {})  # e.g. ACTIONLAB_KERNEL_GRACE for one test
        self.proc: subprocess.Popen | None = None
        self.log_path = self.root / f"serve-{self.port}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ACTIONLAB_", "JUPYTER_"))}
        home = self.root / "home"
        for sub in ("home", "jupyter/config", "jupyter/data", "jupyter/runtime", "ipython", "mpl"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        env.update(
            HOME=str(home),
            ACTIONLAB_HOME=str(self.root / "data"),
            ACTIONLAB_DB=self.db_url,
            ACTIONLAB_POLL_INTERVAL="0.25",
            # Each test starts its kernels itself; tests of the pool set their own size.
            ACTIONLAB_PREHEAT="0",
            JUPYTER_CONFIG_DIR=str(self.root / "jupyter/config"),
            JUPYTER_DATA_DIR=str(self.root / "jupyter/data"),
            JUPYTER_RUNTIME_DIR=str(self.root / "jupyter/runtime"),
            IPYTHONDIR=str(self.root / "ipython"),
            MPLCONFIGDIR=str(self.root / "mpl"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "actionlab", *args], env=self.env(),
                              capture_output=True, text=True, timeout=120)

    def start(self, timeout: float = 90) -> VoilaServer:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "actionlab", "serve", "--port", str(self.port), "--key", self.key,
             "--base-url", self.base_url],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=self.own_group,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"actionlab serve exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.base}{self.base_url}voila/static/voila.js", timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        raise RuntimeError(f"actionlab serve did not answer in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.proc:
            terminate(self.proc)
        self.proc = None

    def crash(self) -> None:
        """SIGKILL the server's process group and every kernel's (jupyter_client starts each
        kernel in a session of its own): nothing gets to clean up or flush. What the
        processes already handed to the OS stays, as after any crash of the program."""
        import signal

        assert self.proc is not None and self.own_group, "start with own_group=True to crash"
        kernels = list(self.kernel_processes()) if self.proc.poll() is None else []
        for group in [self.proc.pid, *kernels]:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                try:  # not a group leader after all: the process alone
                    os.kill(group, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc.wait(timeout=30)
        self.proc = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- kernels (what the room costs the server) ----------------------------------------------

    def kernel(self, kernel_id: str) -> dict | None:
        """The server's model of one kernel (``/api/kernels/<id>``: ``connections``,
        ``last_activity``, ``execution_state``), or None once the server has shut it down."""
        try:
            with urllib.request.urlopen(f"{self.base}{self.base_url}api/kernels/{kernel_id}", timeout=10) as reply:
                return json.loads(reply.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def kernel_processes(self) -> dict[int, int]:
        """The kernel processes the server runs now: pid -> resident memory in kB."""
        import psutil  # comes with ipykernel

        found = {}
        for child in psutil.Process(self.proc.pid).children(recursive=True):  # forked kernels too
            try:
                if is_kernel(child.cmdline()):
                    found[child.pid] = child.memory_info().rss // 1024
            except psutil.NoSuchProcess:
                continue  # gone meanwhile
        return found

    @staticmethod
    def wait_for(condition, timeout: float, what: str, pause=None):
        """Poll ``condition`` until it returns something true (returned), for ``timeout`` s;
        ``pause`` waits between polls (a page's ``wait_for_timeout`` lets Playwright handle
        the page's events meanwhile)."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout:.0f}s: {what}")
            if pause is None:
                time.sleep(0.25)
            else:
                pause(250)

    def url(self, page: str, **params: str) -> str:
        from urllib.parse import urlencode

        query = urlencode(params)
        return f"{self.base}{self.base_url}voila/render/{page}.ipynb" + (f"?{query}" if query else "")
