"""The page kernels' common parent: imports what every page kernel needs once, then forks.

``actionlab.kernel_fork`` starts this module as ``python -m actionlab.kernel_zygote FD`` in
the Voila server, FD being its end of a socket pair. It imports ipykernel, the widgets, the
services (and, unless the participants' kernels reach the store through the room's store
server, the store and its ORM), reads the method library, and freezes what it holds for the garbage
collector (so that the children's collections do not write to, and so copy, those pages).
Then, for each JSON line it is sent, ``{"args": [...], "env": {...}, "cwd": "..."}``, it forks a
child that becomes a page kernel with those arguments and answers ``{"pid": N}``.

The children share the parent's memory until they write to it: what a kernel holds of its
own is its page, not its libraries. And a kernel is up in the time a fork takes, not the
second or two of CPU a new interpreter spends importing.

It never starts a thread or an event loop and opens no database: a fork copies only the
thread that called it, and would copy a connection's socket into every kernel. It ends when
the server's end of the socket closes; its children then see their parent gone and end too.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sys
import traceback

#: What a page kernel imports, imported once here.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipywidgets", "widgets.pages")
#: The database drivers a store URL needs, by its scheme's start.
DRIVERS = {"postgresql": ("psycopg", "sqlalchemy.dialects.postgresql.psycopg"),
           "sqlite": ("sqlite3", "sqlalchemy.dialects.sqlite.pysqlite")}
#: What a participant's kernel needs of them behind a store server: nothing (it hears
#: PostgreSQL's changes through the server, SQLite's by the file's ``stat``).
REMOTE_DRIVERS: dict[str, tuple[str, ...]] = {}


def preload() -> None:
    """Import and read ahead what every page kernel would, then freeze it.

    Behind a store server (``ACTIONLAB_STORE_SOCKET``) the participants' kernels never open
    the store, so SQLAlchemy is not imported here: the few console and projector kernels
    import it themselves."""
    import importlib

    from . import page_kernel

    page_kernel.prepare()
    for name in PRELOAD:
        importlib.import_module(name)

    from .library import default_library
    from .settings import Settings

    settings = Settings.from_env()
    url = settings.db_url or "sqlite"
    if settings.store_socket:
        drivers = REMOTE_DRIVERS
    else:
        from sqlalchemy.orm import configure_mappers

        configure_mappers()
        drivers = DRIVERS
    for scheme, modules in drivers.items():
        if url.startswith(scheme):
            for name in modules:
                importlib.import_module(name)
    try:  # set up here: in a child whose environment has changed it cannot find its place
        import setproctitle  # noqa: F401
    except ImportError:
        pass
    library = default_library()
    library.canvases(), library.meeting_types(), library.surveys()
    gc.collect()
    gc.freeze()


def become_kernel(args: list[str], env: dict[str, str], cwd: str | None) -> None:
    """In a forked child: be a page kernel with ``args``; never returns."""
    code = 1
    try:
        os.setsid()  # as jupyter_client starts a kernel: its own session and process group
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        from . import page_kernel

        _set_title(" ".join([sys.executable, "-m", page_kernel.__name__, *args]))
        if cwd:
            os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        # the parent to watch is this process's own (ipykernel read JPY_PARENT_PID at import)
        sys.argv = [page_kernel.__file__, *args, f"--IPKernelApp.parent_handle={os.getppid()}"]
        page_kernel.main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 - the child must end here, whatever happened
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - ending anyway
                pass
        os._exit(code)


def _set_title(title: str) -> None:
    """Show the kernel's command line in ``ps`` (and to whoever finds kernels by it)."""
    try:
        from setproctitle import setproctitle
    except ImportError:
        return
    setproctitle(title)


def serve(sock: socket.socket) -> None:
    """Answer fork requests until the server's end closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is the server's to handle
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the system
    reader = sock.makefile("rb")
    for line in reader:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            reader.close()
            sock.close()
            become_kernel(request["args"], request["env"], request.get("cwd"))
        sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    sock = socket.socket(fileno=int(argv[0]))
    try:
        preload()
    except BaseException:  # noqa: BLE001 - told to the server, which starts kernels itself then
        sock.sendall(json.dumps({"error": traceback.format_exc()}).encode() + b"\n")
        return 1
    sock.sendall(b'{"ready": true}\n')
    serve(sock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
