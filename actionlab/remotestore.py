"""The store as a participant's page kernel reaches it: through the room's store server.

:class:`RemoteStore` answers the same calls as :class:`actionlab.store.Store` (the facade's
``add_…``/``find_…``/``update_…``/``remove_…`` verbs and ``change_signal``) by sending each one
to :mod:`actionlab.storeserver` and waiting for its answer, so the services above it run
unchanged and the kernel never imports SQLAlchemy. Rows come back as
:class:`actionlab.rows.Row` objects with the models' attributes; the store's exceptions come
back as themselves.

:meth:`RemoteStore.update_room` cannot send the store a function: it reads the room, lets the
service edit a copy, and writes it back only if the room is still as it was read
(:meth:`actionlab.store.Store.update_room_if`), reading again when someone else was quicker.
"""

from __future__ import annotations

import copy
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from . import errors, storewire
from .db.signal import ChangeSignal, ConnectionSignal, signal_from_spec
from .errors import RoomChanged, StoreError
from .storeserver import callable_name
from .storetypes import RoomEdit

log = logging.getLogger(__name__)

#: Seconds a call may wait for its answer (a write waits for the database's lock first).
CALL_TIMEOUT = 60.0
#: Seconds to keep trying to connect while the server's queue of new connections is full.
CONNECT_WAIT = 10.0
#: How many times a room edit is tried while others keep changing the room first.
ROOM_TRIES = 50


class RelaySignal(ConnectionSignal):
    """Behind a store server: a connection of the page's own to the server, which sends a byte
    down it when a change of the page's workshop (and group) commits
    (:class:`actionlab.storeserver.Relay`). Closed by the server when it lost the database:
    then broken, and the page asks the store at every interval until it listens again."""

    def __init__(self, path: str, workshop_id: int | None, group_id: int | None = None):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(CALL_TIMEOUT)
            sock.connect(path)
            sock.sendall(storewire.dumps({"call": "listen", "args": [workshop_id, group_id]}))
            reply = b""
            while b"\n" not in reply:  # the answer, and maybe wake-ups right behind it
                chunk = sock.recv(4096)
                if not chunk:
                    raise StoreError("the store server closed the connection")
                reply += chunk
        except BaseException:
            sock.close()
            raise
        line, _, self._early = reply.partition(b"\n")
        answer = storewire.loads(line)
        if "error" in answer:
            sock.close()
            raise _error(*answer["error"])
        sock.setblocking(False)
        self._conn = sock
        self.broken = False

    def _socket(self) -> int:
        return self._conn.fileno()

    def changed(self) -> bool:
        if self.broken:
            return False
        hit, self._early = bool(self._early), b""
        while True:
            try:
                data = self._conn.recv(4096)
            except BlockingIOError:
                return hit
            except OSError:
                data = b""
            if not data:  # the server closed it: lost the database, or ended
                return self.lost("the store server closed the relay")
            hit = True


def _error(name: str, message: str) -> Exception:
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, errors.StoreError):
        return cls(message)
    return StoreError(message)


class RemoteStore:
    """The store behind the Unix socket at ``path`` (one connection, one call at a time)."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._reader = None
        self._signal_spec: dict | None = None

    @classmethod
    def open(cls, path: str) -> RemoteStore:
        """Connect to the store server at ``path``; :class:`StoreError` if it does not answer."""
        store = cls(path)
        store.find_latest_revision()
        return store

    # -- the wire ------------------------------------------------------------------------
    def _connect(self) -> None:
        deadline = time.monotonic() + CONNECT_WAIT
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(CALL_TIMEOUT)
            try:
                sock.connect(self.path)
                break
            except BlockingIOError:  # the server's backlog is full: it is accepting others
                sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
            except OSError:
                sock.close()
                raise
        self._sock, self._reader = sock, sock.makefile("rb")

    def _drop(self) -> None:
        for part in (self._reader, self._sock):
            if part is not None:
                try:
                    part.close()
                except OSError:
                    pass
        self._sock = self._reader = None

    def call(self, verb: str, /, *args, **kwargs) -> Any:
        """Send one call of the store's facade and return its answer (``verb`` positional
        only: the store's own calls take a ``name``)."""
        request = storewire.dumps({"call": verb, "args": list(args), "kwargs": kwargs})
        with self._lock:
            try:
                if self._sock is None:
                    self._connect()
                self._sock.sendall(request)
                line = self._reader.readline()
            except OSError as error:
                self._drop()
                raise StoreError(f"the store server is unreachable: {error}") from error
            if not line:
                self._drop()
                raise StoreError("the store server closed the connection")
        reply = storewire.loads(line)
        if "error" in reply:
            raise _error(*reply["error"])
        return reply.get("ok")

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or not callable_name(name):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    # -- what cannot be sent as it is ----------------------------------------------------
    def update_room(self, actor: str, workshop_id: int, action: str,
                    mutate: Callable[[dict], RoomEdit | None], *, group_id: int | None = None):
        """:meth:`actionlab.store.Store.update_room`, with the edit made here."""
        for _ in range(ROOM_TRIES):
            before = self.call("find_workshop_by_id", workshop_id).room or {}
            room = copy.deepcopy(before)
            edit = mutate(room) or RoomEdit()
            try:
                return self.call("update_room_if", actor, workshop_id, action, before, room, edit,
                                 group_id=group_id)
            except RoomChanged:
                continue
        raise RoomChanged("the room kept changing; try again")

    def change_signal(self, workshop_id: int | None = None,
                      group_id: int | None = None) -> ChangeSignal:
        if self._signal_spec is None:
            self._signal_spec = self.call("signal_spec")
        if self._signal_spec.get("kind") == "relay":
            try:
                return RelaySignal(self.path, workshop_id, group_id)
            except (OSError, StoreError) as exc:
                log.warning("no change signal (%s); asking the store at every interval", exc)
                return ChangeSignal()
        return signal_from_spec(self._signal_spec, workshop_id, group_id)

    def warm_up(self) -> None:
        """Connect, and learn how to hear the store's changes, ahead of the first real read."""
        self.find_latest_revision()
        self._signal_spec = self.call("signal_spec")

    def close(self) -> None:
        with self._lock:
            self._drop()
