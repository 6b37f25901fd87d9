"""Starting Voila on the workbook's pages with the room template and the store settings."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .netutil import lan_address
from .paths import NOTEBOOKS_DIR, PACKAGE_DIR, VOILA_TEMPLATES_ROOT
from .settings import Settings
from .urls import PAGES, with_base

# -- what the server renders -------------------------------------------------------------
#: The notebooks Voila renders: the three pages, by their exact names. Anything else in the
#: notebooks folder (analysis.ipynb is for JupyterLab) answers 404 before a kernel starts.
PAGE_NOTEBOOKS = frozenset(PAGES.values())
#: Holds ``voila.py``, Voila's configuration file for ``serve`` (a Python file: it names a
#: function, which the command line cannot); Voila finds it through JUPYTER_CONFIG_PATH.
VOILA_CONFIG_DIR = PACKAGE_DIR / "voila_config"


def is_page(path: str | None) -> bool:
    """Whether Voila may render ``path`` (the part of the URL after ``/voila/render/``)."""
    return (path or "").strip("/") in PAGE_NOTEBOOKS


def pages_only(handler, notebook=None, cwd=None) -> None:
    """Voila's prelaunch hook: called with the page request before its kernel starts; any
    notebook but the three pages answers 404."""
    import tornado.web

    path = (getattr(handler, "path_args", None) or [""])[0]
    if not is_page(path):
        raise tornado.web.HTTPError(404)


def preheating(env=None) -> bool:
    """Whether the server keeps preheated participant kernels (``ACTIONLAB_PREHEAT`` > 0)."""
    env = os.environ if env is None else env
    try:
        return int(env.get("ACTIONLAB_PREHEAT", "0") or 0) > 0
    except ValueError:
        return False


#: Seconds Voila waits for a page's output once its cell has run (see configure_voila).
IOPUB_TIMEOUT_S = 120


def configure_voila(c) -> None:
    """Fill Voila's configuration ``c`` (called by ``voila_config/voila.py``): render only the
    pages, and leave the other notebooks out of Voila's file listing too."""
    # Voila refuses a prelaunch hook beside preheated kernels; the room's page handler says 404
    # for anything but the pages either way (actionlab.voila_room.RoomPageHandler).
    if not preheating():
        c.VoilaConfiguration.prelaunch_hook = pages_only
    others = sorted(p.name for p in NOTEBOOKS_DIR.iterdir() if p.name not in PAGE_NOTEBOOKS)
    c.ContentsManager.hide_globs.extend(others)  # after Jupyter's own (__pycache__, …)
    # A page's widgets reach Voila on the kernel's output channel, after the cell's reply. With
    # forty pages building at once on two cores they can trail it by more than the 4 s that
    # Voila's executor (nbclient) waits by default; it then gives the output up and the person
    # gets a page with nothing on it, for good (seen in bench/bench_room.py: 7 pages of 20).
    c.VoilaExecutor.iopub_timeout = IOPUB_TIMEOUT_S
    kernel_transport(c)


#: Longest path of a Unix socket the systems take (108 bytes on Linux, 104 on macOS).
SOCKET_PATH_MAX = 100
#: What a kernel's socket path adds to Voila's connection folder: ``/voila_xxxxxxxx`` and
#: ``/kernel-<uuid>-ipc-<port>``.
SOCKET_PATH_EXTRA = len("/voila_xxxxxxxx") + len("/kernel-00000000-0000-0000-0000-000000000000-ipc-65535")


def kernel_transport(c, *, tmp: str | None = None) -> None:
    """Kernels talk to Voila over Unix sockets in Voila's private connection folder, not TCP.

    Over TCP every kernel takes five ports chosen free by binding to port 0 and letting go,
    and the kernel binds them a moment later. With forty kernels heating while the room's
    kernels open their database connections (each an ephemeral port), another socket can take
    one of them in between: seen in ``bench/bench_rooms.py`` as a kernel whose heartbeat
    failed with "Address already in use", and one participant's page without its canvas.
    Unix sockets have no ports to race for, and only this user can open them."""
    import tempfile

    import zmq

    if os.name != "posix" or not zmq.has("ipc"):
        return  # TCP, Jupyter's default
    c.KernelManager.transport = "ipc"
    root = tmp or tempfile.gettempdir()
    if len(root) + SOCKET_PATH_EXTRA > SOCKET_PATH_MAX:  # macOS's long $TMPDIR
        c.Voila.connection_dir_root = "/tmp"


@dataclass(frozen=True)
class ServerPlan:
    argv: list[str]
    env: dict[str, str]
    base_url: str  # what participants type or scan


def public_base(settings: Settings) -> str:
    """The address the pages are reached at from outside, with the base URL: the public URL
    (a proxy's address) when set, else this machine's, e.g. ``https://host/room1/``."""
    if settings.public_url:
        return with_base(settings.public_url.rstrip("/") + "/", settings.base_url)
    host = lan_address() if settings.room else "127.0.0.1"
    return f"http://{host}:{settings.port}{settings.base_url}"


def local_base(settings: Settings) -> str:
    """The server's own address on this machine, with the base URL."""
    return f"http://127.0.0.1:{settings.port}{settings.base_url}"


def kernel_options(settings: Settings) -> list[str]:
    """Kernels: shut down when their browser has gone for the grace period; a capped number;
    participant kernels preheated for the expected room."""
    manager = "actionlab.voila_room.RoomKernelManager"
    options = [
        f"--VoilaConfiguration.multi_kernel_manager_class={manager}",
        f"--RoomKernelManager.grace={settings.kernel_grace:g}",
        f"--RoomKernelManager.max_kernels={settings.max_kernels}",
        f"--RoomKernelManager.facilitator_reserve={settings.facilitator_reserve}",
    ]
    if settings.preheat > 0:
        # participant kernels started ahead, the notebook run up to wait_for_request()
        options += ["--preheat_kernel=True", f"--RoomKernelManager.preheat={settings.preheat}"]
    return options


def plan(settings: Settings) -> ServerPlan:
    host = "0.0.0.0" if settings.room else settings.host
    base = public_base(settings)
    argv = [
        sys.executable,
        "-m",
        "actionlab.voila_room",  # Voila with the room's kernel hygiene (actionlab/voila_room.py)
        str(NOTEBOOKS_DIR),
        "--no-browser",
        f"--port={settings.port}",
        f"--Voila.ip={host}",
        # Several rooms behind one proxy: each serves under its own path (/room1/, …).
        f"--Voila.base_url={settings.base_url}",
        "--template=actionlab",
        "--theme=light",
        "--strip_sources=True",
        "--show_tracebacks=False",
        # Serve no files from the notebooks folder: pages only.
        "--VoilaConfiguration.file_denylist=.*",
        # The JupyterLab preview extension is not used by the pages (and wants a newer lab core).
        "--VoilaConfiguration.extension_denylist=@voila-dashboards/jupyterlab-preview",
        # Nor are code highlighting styles: the pages show no code (three scripts fewer per page).
        "--VoilaConfiguration.extension_denylist=jupyterlab_pygments",
        *kernel_options(settings),
    ]
    env = dict(os.environ)
    jupyter_path = [str(VOILA_TEMPLATES_ROOT)]
    if env.get("JUPYTER_PATH"):
        jupyter_path.append(env["JUPYTER_PATH"])
    config_path = [str(VOILA_CONFIG_DIR)]  # voila.py: only the pages are rendered
    if env.get("JUPYTER_CONFIG_PATH"):
        config_path.append(env["JUPYTER_CONFIG_PATH"])
    env.update(
        {
            "JUPYTER_PATH": os.pathsep.join(jupyter_path),
            "JUPYTER_CONFIG_PATH": os.pathsep.join(config_path),
            "ACTIONLAB_DB": settings.db_url,
            "ACTIONLAB_PUBLIC_URL": base,
            "ACTIONLAB_BASE_URL": settings.base_url,  # the pages' links within this server
            "ACTIONLAB_POLL_INTERVAL": str(settings.poll_interval),
            "ACTIONLAB_LANG": settings.default_lang,
            "ACTIONLAB_PREHEAT": str(max(settings.preheat, 0)),  # read by voila_config/voila.py
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            # one malloc arena per process: a page kernel's threads (zmq, heartbeat) each got
            # an arena of their own, about 2 MB per kernel for nothing
            "MALLOC_ARENA_MAX": env.get("MALLOC_ARENA_MAX", "1"),
        }
    )
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return ServerPlan(argv=argv, env=env, base_url=base)


def run(server: ServerPlan) -> int:
    """Replace this process with Voila (POSIX), so Ctrl-C stops it cleanly."""
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(server.argv[0], server.argv, server.env)
    import subprocess

    return subprocess.call(server.argv, env=server.env)
