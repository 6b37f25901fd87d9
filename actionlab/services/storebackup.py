"""Backups of the whole store while the room is live (``actionlab backup`` and the console's
"Back up now" button share this service).

* **SQLite**: the online backup API (``sqlite3.Connection.backup``) copies the database in
  one step, inside one read transaction of its own. In WAL mode a reader never blocks the
  kernels that keep writing, and the copy is the database exactly as it was when that read
  began: every write committed before is in it, nothing half-written is. The copy is written
  under a temporary name, switched to a single file (journal mode DELETE), checked with
  ``PRAGMA integrity_check`` and only then given its final name.
* **PostgreSQL**: ``pg_dump --format=custom`` (one snapshot of the whole database, restored
  with ``pg_restore``), then ``pg_restore --list`` reads the dump back as its check. Without
  ``pg_dump`` (on PATH or in ``/usr/lib/postgresql/*/bin``) the backup stops with a message
  naming the missing program: a JSON backup per workshop would miss what belongs to no
  workshop (facilitator keys, server state), so it is not offered in its place.

Files are called ``actionlab-YYYYMMDD-HHMMSSZ.sqlite3`` (or ``.dump``), the time in UTC, in
``Settings.backup_dir`` (default ``backups/`` in the per-user data folder, never under what
Voila serves). After each good backup only the newest ``Settings.backup_keep`` files of that
kind stay in the folder. A copy that fails its check is kept as ``….failed`` beside them
(never deleted by the rotation, never mistaken for a good one).

Every attempt is recorded in the server document ``backup`` (:meth:`Store.update_server_state`):
``at`` (UTC ISO time), ``ok``, ``path``, ``size`` (bytes), ``kind`` (``sqlite``/``pg_dump``),
``check`` and, after a failure, ``error`` = ``{"id": message id, "params": {...}}``;
``last_ok`` keeps ``at``/``path``/``size`` of the newest good one.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import URL, make_url

from ..errors import InvalidInput, StoreError
from ..i18n import N_
from ..settings import Settings, data_home

if TYPE_CHECKING:
    from ..store import Store

STATE = "backup"
SUFFIX = {"sqlite": ".sqlite3", "pg_dump": ".dump"}
NAME = re.compile(r"^actionlab-(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?Z(?P<ext>\.sqlite3|\.dump)$")
PG_DUMP_TIMEOUT = 3600


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    ok: bool
    kind: str  # "sqlite" or "pg_dump"
    at: datetime  # UTC, without zone, like every time in the store
    check: str  # "ok", or what the check found wrong
    removed: list[Path] = field(default_factory=list)  # older backups rotated out


def human_size(size: int) -> str:
    """``2.1 MB``, ``512 KB``, ``80 B`` (units are the same in both languages)."""
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"


def find_pg_program(name: str) -> Path | None:
    """``pg_dump``/``pg_restore``: from PATH, else the newest ``/usr/lib/postgresql/*/bin``."""
    found = shutil.which(name)
    if found:
        return Path(found)

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", Path(path).parent.parent.name)) or (0,)

    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True):
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def backup_name(kind: str, at: datetime, n: int = 0) -> str:
    return f"actionlab-{at:%Y%m%d-%H%M%S}{f'-{n}' if n else ''}Z{SUFFIX[kind]}"


def backups_in(folder: Path, kind: str) -> list[Path]:
    """The backups of one kind in ``folder``, oldest first."""
    found = []
    for path in folder.glob(f"actionlab-*Z{SUFFIX[kind]}"):
        m = NAME.match(path.name)
        if m and path.is_file():
            found.append(((m["stamp"], int(m["n"] or 0)), path))
    return [path for _key, path in sorted(found)]


def rotate(folder: Path, kind: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``kind`` in ``folder`` (0 keeps all)."""
    if keep <= 0:
        return []
    old = backups_in(folder, kind)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def _copy_sqlite(source: Path, dest: Path, busy_timeout_ms: int) -> str:
    """Copy ``source`` to ``dest`` with the online backup API; returns the integrity check."""
    src = sqlite3.connect(str(source), timeout=busy_timeout_ms / 1000, isolation_level=None)
    try:
        dst = sqlite3.connect(str(dest), isolation_level=None)
        try:
            src.backup(dst)  # all pages in one step: one read snapshot of the source
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            found = [row[0] for row in dst.execute("PRAGMA integrity_check")]
        finally:
            dst.close()
    finally:
        src.close()
    return "ok" if found == ["ok"] else "; ".join(found[:5])


def _pg_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for ``url`` without its password, and the environment carrying it."""
    parsed = make_url(url)
    env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    bare = URL.create("postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
                      database=parsed.database, query=parsed.query)
    uri = bare.render_as_string(hide_password=False)
    return uri, env


def _tail(text: str, lines: int = 3) -> str:
    return " ".join(text.strip().splitlines()[-lines:]) or "?"


def _dump_postgres(url: str, dest: Path) -> str:
    """``pg_dump`` the database at ``url`` into ``dest``; returns the check of the dump."""
    pg_dump, pg_restore = find_pg_program("pg_dump"), find_pg_program("pg_restore")
    if pg_dump is None:
        raise InvalidInput(N_("pg_dump was not found on PATH or in /usr/lib/postgresql/*/bin. Install the PostgreSQL client programs (Debian package postgresql-client) to back up a PostgreSQL store."))  # noqa: E501
    uri, env = _pg_conninfo(url)
    try:
        done = subprocess.run([str(pg_dump), "--format=custom", "--no-password", f"--file={dest}",
                               f"--dbname={uri}"], env=env, capture_output=True, text=True,
                              timeout=PG_DUMP_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise InvalidInput(N_("pg_dump failed: {problem}"), problem="timed out") from None
    if done.returncode != 0:
        raise InvalidInput(N_("pg_dump failed: {problem}"), problem=_tail(done.stderr))
    if pg_restore is None:
        return "ok"  # pg_dump itself reported success; nothing to read the dump back with
    listed = subprocess.run([str(pg_restore), "--list", str(dest)], capture_output=True, text=True,
                            timeout=600, stdin=subprocess.DEVNULL)
    if listed.returncode != 0:
        return _tail(listed.stderr)
    return "ok" if "alembic_version" in listed.stdout else "the dump lists no schema"


class StoreBackupService:
    """Backs up the store a :class:`Store` is open on and remembers the last backup."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings

    # -- where ------------------------------------------------------------------------------
    def folder(self) -> Path:
        """Where backups go when no other place is given."""
        given = self.settings.backup_dir
        return Path(given).expanduser() if given else data_home() / "backups"

    def kind(self) -> str:
        backend = self.store.engine.url.get_backend_name()
        if backend == "sqlite":
            return "sqlite"
        if backend == "postgresql":
            return "pg_dump"
        raise InvalidInput(N_("Backups work with SQLite and PostgreSQL stores, not {backend}."),
                           backend=backend)

    def _target(self, out: str | Path | None, kind: str, at: datetime) -> tuple[Path, bool]:
        """The file to write and whether it sits in a rotated backup folder."""
        given = Path(out).expanduser() if out else None
        if given is not None and given.suffix and not given.is_dir() \
                and not str(out).endswith(("/", os.sep)):
            if given.exists():
                raise InvalidInput(N_("{path} already exists. Choose another file name or a folder."),
                                   path=str(given))
            given.parent.mkdir(parents=True, exist_ok=True)
            return given, False
        folder = given or self.folder()
        folder.mkdir(parents=True, exist_ok=True)
        n = 0
        while (folder / backup_name(kind, at, n)).exists():
            n += 1
        return folder / backup_name(kind, at, n), True

    # -- doing it -----------------------------------------------------------------------------
    def back_up(self, out: str | Path | None = None, *, keep: int | None = None,
                now: datetime | None = None) -> BackupResult:
        """Back up the whole store to ``out`` (default :meth:`folder`), check the copy, rotate
        the folder and record the attempt. ``out`` names a file when it has an extension
        (``before-upgrade.db``) and is not a folder; otherwise it is a folder (made when
        missing) for a timestamped file, and only such a folder is rotated.
        Raises InvalidInput (recorded too) when no backup could be made."""
        at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None,
                                                                                   microsecond=0)
        try:
            result = self._back_up(out, keep, at)
        except InvalidInput as exc:
            self._record(at, ok=False, error={"id": exc.message_id, "params": exc.params})
            raise
        error = None if result.ok else {"id": N_("The copy failed its integrity check: {problem}"),
                                        "params": {"problem": result.check}}
        self._record(at, ok=result.ok, path=str(result.path), size=result.size, kind=result.kind,
                     check=result.check, error=error)
        return result

    def _back_up(self, out, keep: int | None, at: datetime) -> BackupResult:
        kind = self.kind()
        url = self.store.engine.url
        if kind == "sqlite":
            database = url.database
            if not database or database == ":memory:" or database.startswith("file::memory:"):
                raise InvalidInput(N_("An in-memory database cannot be backed up."))
            source = Path(database).expanduser()
            if not source.is_file():
                raise InvalidInput(N_("There is no database file at {path}."), path=str(source))
        try:
            dest, rotated = self._target(out, kind, at)
            partial = dest.with_name(dest.name + ".partial")
            partial.unlink(missing_ok=True)
            try:
                if kind == "sqlite":
                    check = _copy_sqlite(source, partial, self.settings.busy_timeout_ms)
                else:
                    check = _dump_postgres(url.render_as_string(hide_password=False), partial)
                if check != "ok":
                    dest = dest.with_name(dest.name + ".failed")
                os.replace(partial, dest)
            finally:
                partial.unlink(missing_ok=True)
            size = dest.stat().st_size
        except (OSError, sqlite3.Error) as exc:
            raise InvalidInput(N_("The backup could not be written to {path}: {problem}"),
                               path=str(out or self.folder()), problem=str(exc)) from exc
        removed = []
        if check == "ok" and rotated:
            removed = rotate(dest.parent, kind, self.settings.backup_keep if keep is None else keep)
        return BackupResult(dest, size, check == "ok", kind, at, check, removed)

    # -- remembering it -------------------------------------------------------------------------
    def _record(self, at: datetime, *, ok: bool, **details) -> None:
        """Note the attempt in the server document (when the schema has it: a store not yet
        upgraded can still be backed up)."""
        url = self.store.engine.url
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").expanduser().is_file():
            return  # connecting would create an empty database
        try:
            if not sa_inspect(self.store.engine).has_table("server_state"):
                return
        except Exception:  # noqa: BLE001 - an unreadable store: the backup's own error tells
            return
        attempt = {"at": at.isoformat(), "ok": ok, "error": None, **details}

        def mutate(doc: dict) -> None:
            doc.update(attempt)
            for key in ("path", "size", "kind", "check"):
                if key not in details:
                    doc.pop(key, None)
            if ok:
                doc["last_ok"] = {k: attempt[k] for k in ("at", "path", "size")}

        try:
            self.store.update_server_state(STATE, mutate)
        except StoreError:  # the file is written either way; the console shows the older note
            pass

    def last(self) -> dict:
        """The last attempt as recorded (empty when there was none); see the module text."""
        return self.store.find_server_state(STATE)
