"""Change signals: a cheap way for a page to know the store has new changes, without a query.

A page's live loop asks the change log for new rows (:class:`actionlab.services.live.ChangeFeed`).
Asking a few times a second from every open page costs the server most of its CPU in a full room,
and still leaves each change up to one interval late. A signal says *when* to ask:

* **PostgreSQL**: every write transaction that logs changes sends ``NOTIFY actionlab_changes``
  with the workshop's id and the group's, when the change belongs to one (``"12:3"``, or
  ``"12"``; delivered at commit, see :meth:`actionlab.store.Store.write`). Each page holds one
  extra connection that ``LISTEN``\\ s; its socket becomes readable when a notification
  arrives, so the page's event loop wakes up at once and otherwise costs nothing
  (:meth:`PgNotifySignal.fileno`). A participant's page listens for its own group: another
  group's card does not wake it (in a room of 40 in 5 groups, a card wakes 8 pages and the
  projector, not 40); what such a page does not hear comes with the fallback poll.
* **SQLite**: every commit writes to the database's ``-wal`` file (WAL mode) or the file itself.
  Two ``stat`` calls (microseconds, no lock, no query) tell whether either has changed since the
  last look (:class:`FileStatSignal`). A commit in the same clock tick as the last look, at the
  same file size, can go unseen: the live loop also asks the store every few seconds anyway.

Under ``actionlab serve`` a participant's page holds neither: the room's store server hears the
database once for the whole room and wakes the pages a change concerns
(:class:`actionlab.storeserver.Relay`, :class:`actionlab.remotestore.RelaySignal`).

A signal may say "changed" when nothing of the page's workshop changed (another workshop's
write on SQLite): the query that follows finds nothing, which is cheap. It must never stay
silent for long about a change: a broken signal says so (:attr:`ChangeSignal.broken`) and the
loop falls back to asking at every interval.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

#: The PostgreSQL notification channel the store notifies on every logged write.
CHANNEL = "actionlab_changes"


class ChangeSignal:
    """Base: never fires (the loop asks at every interval)."""

    broken = True

    def changed(self) -> bool:
        """Whether the store may have changed since the last call (and consume that)."""
        return False

    def fileno(self) -> int | None:
        """A socket that becomes readable when a change arrives, or None (poll :meth:`changed`)."""
        return None

    def close(self) -> None:
        pass


class ConnectionSignal(ChangeSignal):
    """Base of a signal heard on a connection of its own (``self._conn``, with ``close()``):
    broken once that connection is closed or lost, and then the page asks the store at every
    interval."""

    def _socket(self) -> int:
        """The connection's socket."""
        raise NotImplementedError

    def fileno(self) -> int | None:
        return None if self.broken else self._socket()

    def lost(self, why: object) -> bool:
        """The connection is gone: said in the log, closed; True (ask the store once now)."""
        log.warning("change signal lost (%s); asking the store at every interval", why)
        self.close()
        return True

    def close(self) -> None:
        self.broken = True
        try:
            self._conn.close()
        except Exception:  # closing what is already gone
            pass


class FileStatSignal(ChangeSignal):
    """SQLite in WAL mode: the database file or its ``-wal`` file has a new size or time."""

    broken = False

    def __init__(self, database: str | os.PathLike):
        path = Path(database)
        self.paths = (path, path.with_name(path.name + "-wal"))
        self._seen = self._look()

    def _look(self) -> tuple:
        seen = []
        for path in self.paths:
            try:
                st = os.stat(path)
            except OSError:
                seen.append(None)
            else:
                seen.append((st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(seen)

    def changed(self) -> bool:
        now = self._look()
        if now != self._seen:
            self._seen = now
            return True
        return False


def notify_payload(workshop_id: int | None, group_id: int | None) -> str:
    """What a write tells the listening pages: ``"<workshop>[:<group>]"`` ("" for none)."""
    if workshop_id is None:
        return ""
    return f"{workshop_id}" if group_id is None else f"{workshop_id}:{group_id}"


def heard(payload: str, workshop_id: int | None, group_id: int | None) -> bool:
    """Whether a page of ``workshop_id`` (a participant's: of ``group_id``) must ask the store
    after a notification with this payload."""
    if workshop_id is None or payload == "":
        return True
    workshop, _, group = payload.partition(":")
    if workshop != str(workshop_id):
        return False
    return group_id is None or group == "" or group == str(group_id)


class PgNotifySignal(ConnectionSignal):
    """PostgreSQL: a connection of its own listening on :data:`CHANNEL` for one workshop (and,
    for a participant's page, one group)."""

    def __init__(self, conninfo: str, workshop_id: int | None, group_id: int | None = None):
        import psycopg

        self.workshop_id = workshop_id
        self.group_id = group_id
        self._conn = psycopg.connect(conninfo, autocommit=True)
        self._conn.execute(f"LISTEN {CHANNEL}")
        self.broken = False

    def _socket(self) -> int:
        return self._conn.pgconn.socket

    def changed(self) -> bool:
        if self.broken:
            return False
        pgconn = self._conn.pgconn
        hit = False
        try:
            pgconn.consume_input()  # reads what the socket holds; never waits
            while (note := pgconn.notifies()) is not None:
                if heard(note.extra.decode(errors="replace"), self.workshop_id, self.group_id):
                    hit = True
        except Exception as exc:  # the server went away: the loop falls back to asking
            return self.lost(exc)
        return hit


def signal_spec(engine: Engine) -> dict:
    """How to hear the store's changes, as plain values a page without SQLAlchemy can use
    (:func:`signal_from_spec`): ``{"kind": "file", "path": …}`` for an SQLite file,
    ``{"kind": "pg", "conninfo": …}`` for PostgreSQL, ``{"kind": "none"}`` otherwise."""
    from sqlalchemy.engine import make_url

    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        return {"kind": "file", "path": url.database}
    if backend == "postgresql":
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return {"kind": "pg", "conninfo": conninfo}
    return {"kind": "none"}


def signal_from_spec(spec: dict, workshop_id: int | None,
                     group_id: int | None = None) -> ChangeSignal:
    """The signal ``spec`` describes (a never-firing one if it cannot be had)."""
    try:
        if spec.get("kind") == "file":
            return FileStatSignal(spec["path"])
        if spec.get("kind") == "pg":
            return PgNotifySignal(spec["conninfo"], workshop_id, group_id)
    except Exception as exc:
        log.warning("no change signal (%s); asking the store at every interval", exc)
    return ChangeSignal()


def signal_for(engine: Engine, workshop_id: int | None,
               group_id: int | None = None) -> ChangeSignal:
    """The cheapest signal the store's database offers (a never-firing one if none works)."""
    try:
        spec = signal_spec(engine)
    except Exception as exc:
        log.warning("no change signal (%s); asking the store at every interval", exc)
        return ChangeSignal()
    return signal_from_spec(spec, workshop_id, group_id)
