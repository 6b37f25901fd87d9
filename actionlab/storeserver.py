"""The store server: one process per ``actionlab serve`` that holds the store for the
participants' page kernels.

A room's forty participant kernels each holding SQLAlchemy, its ORM, a database driver and
connections cost every kernel 22 MB (SQLite) to 30 MB (PostgreSQL) of its memory, measured, and
PostgreSQL two connections a page. Instead, the Voila process starts this server
(:func:`start`) and puts its socket's path in the kernels' environment
(``ACTIONLAB_STORE_SOCKET``); a participant's page reaches the store through
:class:`actionlab.remotestore.RemoteStore`, which sends each call of the store's facade as a
JSON line (:mod:`actionlab.storewire`) and reads the answer. The server also hears the room's
changes once and passes them on to the pages (:class:`Relay`: PostgreSQL's notifications, or
one look at SQLite's files for the whole room). Console and projector pages keep the store in
their own kernel.

The socket lives in a folder only the server's user can enter, and answers only the store's
own verbs (``add_…``, ``find_…``, ``update_…``, ``remove_…``, ``set_…``, ``touch_…``): never a
function, never SQL. Each connection is served by a thread of its own; the store's writes are
transactions as always, so kernels writing at once wait for each other as before.

``ACTIONLAB_STORE_SERVER=0`` turns it off (every kernel opens the store, as before: to
compare, or to rule it out).

Run as ``python -m actionlab.storeserver SOCKET FD``: it answers ``{"ready": true}`` (or
``{"error": …}``) on FD once it listens, and ends when FD's other end closes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from . import storewire
from .db.signal import CHANNEL, FileStatSignal, heard, notify_payload
from .errors import ActionlabError, StoreError

log = logging.getLogger(__name__)

#: The store's verbs a page may call, by name.
VERB = re.compile(r"(add|find|update|remove|set|touch)_[a-z_]+\Z")
#: Verbs that take a function, or are the console's alone: never over the wire.
REFUSED = frozenset({"update_room", "update_server_state", "find_workshop_rows"})
#: Besides the verbs: how a remote page hears the store's changes.
EXTRA = frozenset({"signal_spec"})
#: The environment variable that holds the socket's path for the page kernels.
SOCKET_ENV = "ACTIONLAB_STORE_SOCKET"
#: Seconds the server may take to open the store and listen.
READY_TIMEOUT = 60.0
#: Seconds the change relay may take to start listening before the server answers ready.
RELAY_WAIT = 20.0


def callable_name(name: str) -> bool:
    """Whether a page may call the store's method ``name`` over the wire."""
    return name in EXTRA or (bool(VERB.match(name)) and name not in REFUSED)


def answer(store, request: dict) -> dict:
    """The answer to one request ``{"call": name, "args": [...], "kwargs": {...}}``."""
    name = request.get("call", "")
    method = getattr(store, name, None) if callable_name(name) else None
    if method is None:
        return {"error": ["StoreError", f"the store has no call {name!r}"]}
    try:
        return {"ok": method(*request.get("args", ()), **request.get("kwargs", {}))}
    except ActionlabError as exc:
        return {"error": [type(exc).__name__, str(exc)]}
    except Exception as exc:  # noqa: BLE001 - told to the page as a store error, logged here
        log.exception("store call %s failed", name)
        return {"error": ["StoreError", f"{type(exc).__name__}: {exc}"]}


class Relay:
    """The room's change signal, heard once for all its participants' pages: each page is told
    (a byte on a connection of its own, :class:`actionlab.remotestore.RelaySignal`) when a
    change of its workshop and group commits. A page subscribes with the call ``listen``.
    Subclasses hear the database (:class:`PgRelay`, :class:`FileRelay`)."""

    def __init__(self):
        self.listening = threading.Event()
        self._lock = threading.Lock()
        self._pages: dict[socket.socket, tuple[int | None, int | None]] = {}

    def close(self) -> None:
        """Stop hearing the database (the server is ending)."""

    def add(self, sock: socket.socket, workshop_id: int | None, group_id: int | None) -> None:
        with self._lock:
            self._pages[sock] = (workshop_id, group_id)

    def remove(self, sock: socket.socket) -> None:
        with self._lock:
            self._pages.pop(sock, None)

    def pass_on(self, payload: str) -> None:
        """Wake every page that must hear a notification with ``payload``."""
        with self._lock:
            pages = list(self._pages.items())
        for sock, (workshop_id, group_id) in pages:
            if not heard(payload, workshop_id, group_id):
                continue
            try:
                sock.send(b"\n", socket.MSG_DONTWAIT)
            except BlockingIOError:  # its buffer is full of wake-ups it has not read yet
                pass
            except OSError:
                self.remove(sock)

    def drop_all(self) -> None:
        with self._lock:
            pages, self._pages = list(self._pages), {}
        for sock in pages:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class PgRelay(Relay):
    """PostgreSQL: one ``LISTEN`` for the room. Each page listening itself cost it a
    connection and psycopg's 8 MB. When the listening connection breaks, every subscriber's
    connection is closed, so its page falls back to asking the store at every interval and
    listens again later; the relay reconnects meanwhile."""

    #: Seconds between attempts to listen again after the connection broke.
    RETRY = 2.0

    def __init__(self, conninfo: str):
        super().__init__()
        self.conninfo = conninfo
        threading.Thread(target=self._run, name="actionlab-store-relay", daemon=True).start()

    def _run(self) -> None:
        import psycopg

        while True:
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    for note in conn.notifies():
                        self.pass_on(note.payload)
            except Exception as exc:  # noqa: BLE001 - the database went away: try again
                log.warning("change relay lost (%s); listening again in %g s", exc, self.RETRY)
            self.listening.clear()
            self.drop_all()
            time.sleep(self.RETRY)


class FileRelay(Relay):
    """SQLite: one look at the database's files every :attr:`WATCH` seconds for the whole room
    (:class:`actionlab.db.signal.FileStatSignal`), instead of one in every page's kernel; when
    they changed, one indexed query of the change log says which workshops and groups, and
    only their pages are woken (as on PostgreSQL). A page's loop otherwise sleeps on its
    socket instead of waking 20 times a second (``docs/performance.md``)."""

    #: Seconds between two looks at the files (the room's reaction time).
    WATCH = 0.05
    #: Changes read at most per look; more wake every page.
    BATCH = 500

    def __init__(self, store, path: str):
        super().__init__()
        self.store = store
        self._files = FileStatSignal(path)
        try:
            self._last = store.find_latest_revision()
        except Exception:  # noqa: BLE001 - no schema yet: the first look reads from the start
            self._last = 0
        self._stop = threading.Event()
        self.listening.set()
        self._thread = threading.Thread(target=self._run, name="actionlab-store-relay", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.WATCH):
            if not self._files.changed():
                continue
            try:
                self.pass_changes()
            except Exception:  # noqa: BLE001 - the log could not be read: every page asks itself
                log.exception("change relay could not read the change log")
                self.pass_on("")

    def pass_changes(self) -> None:
        """Wake the pages of the changes logged since the last look."""
        rows = self.store.find_changes(after=self._last, limit=self.BATCH)
        if not rows:
            return
        self._last = rows[-1].revision
        payloads = ({""} if len(rows) == self.BATCH
                    else {notify_payload(row.workshop_id, row.group_id) for row in rows})
        for payload in sorted(payloads):
            self.pass_on(payload)

    def close(self) -> None:
        """Stop looking (and wait for the last look: the store closes next)."""
        self._stop.set()
        self._thread.join(5.0)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        store = self.server.store
        for line in self.rfile:
            try:
                request = storewire.loads(line)
                if request.get("call") == "listen":
                    return self._listen(request)
                if request.get("call") == "signal_spec" and self.server.relay is not None:
                    reply = {"ok": {"kind": "relay"}}  # the pages hear changes through it
                else:
                    reply = answer(store, request)
                data = storewire.dumps(reply)
            except Exception as exc:  # noqa: BLE001 - a request it cannot read or an answer it cannot send
                data = storewire.dumps({"error": ["StoreError", f"{type(exc).__name__}: {exc}"]})
            self.wfile.write(data)
            self.wfile.flush()

    def _listen(self, request: dict) -> None:
        """This connection now only hears changes: until the page closes it."""
        relay = self.server.relay
        if relay is None or not relay.listening.is_set():
            self.wfile.write(storewire.dumps({"error": ["StoreError", "no change relay"]}))
            return
        workshop_id, group_id = (list(request.get("args", ())) + [None, None])[:2]
        self.wfile.write(storewire.dumps({"ok": True}))
        self.wfile.flush()
        relay.add(self.request, workshop_id, group_id)
        try:
            while self.rfile.read(4096):  # the page sends nothing more; empty when it closes
                pass
        except OSError:
            pass
        finally:
            relay.remove(self.request)


class StoreServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    #: A room's kernels connect at once when the pool heats: socketserver's 5 would refuse
    #: the rest (a Unix socket's connect fails at once when its backlog is full).
    request_queue_size = socket.SOMAXCONN

    def __init__(self, path: str, store, relay: Relay | None = None):
        self.store = store
        self.relay = relay
        super().__init__(path, _Handler)


def serve(path: str, control: socket.socket) -> int:
    from .settings import Settings
    from .store import Store

    try:
        settings = Settings.from_env()
        store = Store.open(settings.db_url, busy_timeout_ms=settings.busy_timeout_ms)
        spec = store.signal_spec()
        relay: Relay | None = None
        if spec["kind"] == "pg":
            relay = PgRelay(spec["conninfo"])
            if not relay.listening.wait(RELAY_WAIT):
                relay = None  # the pages listen themselves
        elif spec["kind"] == "file":
            relay = FileRelay(store, spec["path"])
        server = StoreServer(path, store, relay)
        os.chmod(path, 0o600)
    except BaseException:  # noqa: BLE001 - told to the Voila process, which goes on without
        control.sendall(json.dumps({"error": traceback.format_exc()}).encode() + b"\n")
        return 1

    parent_gone = threading.Event()

    def watch() -> None:
        while control.recv(4096):
            pass
        parent_gone.set()
        server.shutdown()  # the Voila process has ended

    threading.Thread(target=watch, name="actionlab-store-watch", daemon=True).start()
    control.sendall(b'{"ready": true}\n')
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
        if relay is not None:
            relay.close()
        store.close()
        if parent_gone.is_set():  # nobody will start a server on this socket again
            _remove(path)
    return 0


def _remove(path: str) -> None:
    """The socket at ``path`` and its private folder (when nothing else is in it)."""
    for remove, target in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
        try:
            remove(target)
        except OSError:
            pass


#: The longest path a Unix socket may have (108 bytes on Linux, with the final NUL).
SOCKET_PATH_MAX = 107


#: A store server's private folder: its name starts so.
FOLDER_PREFIX = "actionlab-store-"
#: Seconds a folder must have existed before a sweep may take it for a dead server's: a
#: server that is starting has its folder before its socket listens.
STALE_AFTER = 120.0


def _private_folder() -> str:
    """A new folder only this user may enter (mode 0700) whose socket's path fits a Unix
    socket: the temporary folder, or ``/tmp`` when TMPDIR is too deep. Folders of servers
    that were killed with their Voila process are removed first (:func:`sweep`)."""
    sweep(tempfile.gettempdir())
    folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX)
    if len(os.path.join(folder, "store.sock").encode()) > SOCKET_PATH_MAX and os.path.isdir("/tmp"):
        os.rmdir(folder)
        sweep("/tmp")
        folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir="/tmp")
    return folder


def sweep(parent: str, older_than: float = STALE_AFTER) -> list[str]:
    """Remove the private folders in ``parent`` left by store servers that were killed (a
    power cut, ``kill -9``): this user's, older than ``older_than`` seconds, whose socket
    is gone or answers no more. Returns the folders removed."""
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(FOLDER_PREFIX):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if (not entry.is_dir(follow_symlinks=False) or info.st_uid != os.getuid()
                or time.time() - info.st_mtime < older_than):
            continue
        path = os.path.join(entry.path, "store.sock")
        if _answers(path):
            continue
        _remove(path)
        if not os.path.exists(entry.path):
            removed.append(entry.path)
    return removed


def _answers(path: str) -> bool:
    """Whether a server may still listen on the Unix socket at ``path``: False only when
    the socket is gone or refuses (nobody listens); a busy server's full queue counts as
    alive."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError:
        return True
    finally:
        probe.close()
    return True


class Running:
    """The Voila process's end of a running store server. A server that ends by itself (it
    crashed, or was killed) is started again on the same socket, so the pages' next calls
    find it (``restarts`` counts them)."""

    #: Seconds between restarts of a server that keeps ending.
    RESTART_DELAY = 1.0

    def __init__(self, python: str, env: dict[str, str]):
        self.python, self.env = python, env
        self.folder = _private_folder()
        self.path = os.path.join(self.folder, "store.sock")
        self.restarts = 0
        self._closing = threading.Event()
        try:
            self._spawn()
        except StoreError:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        threading.Thread(target=self._watch, name="actionlab-store-watch", daemon=True).start()

    def _spawn(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)  # left by a server that was killed
        ours, theirs = socket.socketpair()
        try:
            proc = subprocess.Popen(
                [self.python, "-m", "actionlab.storeserver", self.path, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), env=self.env, stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        ours.settimeout(READY_TIMEOUT)
        try:
            line = ours.makefile("rb").readline()
        except OSError as error:
            line, failure = b"", f"the store server did not answer: {error}"
        else:
            failure = "the store server ended at start"
        reply = json.loads(line or b"{}")
        if not reply.get("ready"):
            ours.close()
            _end(proc)
            raise StoreError(reply.get("error") or failure)
        self.proc, self._control = proc, ours

    def _watch(self) -> None:
        while not self._closing.is_set():
            self.proc.wait()
            if self._closing.wait(self.RESTART_DELAY):
                return
            log.warning("actionlab: the store server ended (%s); starting it again",
                        self.proc.returncode)
            self._control.close()
            try:
                self._spawn()
                self.restarts += 1
            except (OSError, StoreError) as error:
                log.warning("actionlab: the store server could not start again: %s", error)

    def close(self) -> None:
        self._closing.set()
        self._control.close()
        _end(self.proc)
        shutil.rmtree(self.folder, ignore_errors=True)


def _end(proc: subprocess.Popen) -> None:
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wanted(env: dict[str, str] | None = None) -> bool:
    """Whether the server should run a store server (``ACTIONLAB_STORE_SERVER``, on by default)."""
    env = os.environ if env is None else env
    return env.get("ACTIONLAB_STORE_SERVER", "1").strip().lower() not in ("0", "false", "no", "off")


def start(env: dict[str, str] | None = None) -> Running | None:
    """Start the store server and put its socket in ``os.environ`` for the kernels to come;
    None (the kernels open the store themselves, as before) if it cannot start."""
    env = dict(os.environ if env is None else env)
    try:
        running = Running(sys.executable, env)
    except (OSError, StoreError) as error:
        log.warning("actionlab: no store server (%s); page kernels open the store themselves",
                    error)
        return None
    os.environ[SOCKET_ENV] = running.path
    return running


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="[actionlab store] %(message)s")
    return serve(argv[0], socket.socket(fileno=int(argv[1])))


if __name__ == "__main__":
    sys.exit(main())
