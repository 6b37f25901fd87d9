"""``actionlab backup`` while the room is live: four participant kernels (separate processes)
keep adding cards while the whole store is copied. The copy opens, passes its check and holds
every card acknowledged before the backup began; it restores as docs/operations.md says (SQLite:
replace the file with the server stopped; PostgreSQL: pg_restore), on a real PostgreSQL too."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from actionlab.db.models import Card, Change
from actionlab.services import Workbook
from actionlab.services.storebackup import STATE, find_pg_program
from actionlab.settings import Settings
from tests.integration.test_cli import run
from tests.support.writer import Writer

pytestmark = pytest.mark.integration

WRITERS = 4
BEFORE = 15  # cards each writer has acknowledged before the backup starts


def room(db: str):
    """A workshop of four groups, one member in each; returns (code, [tokens])."""
    with Workbook.open(Settings(db_url=db), upgrade=True) as wb:
        ws = wb.workshops.create("Live backup", "en", WRITERS)
        tokens = [wb.workshops.join(ws.code, g.id, f"Writer {g.number}").token
                  for g in wb.workshops.groups(ws)]
    return ws.code, tokens


def back_up_while_writing(db: str, out: Path):
    """Start the writers, back up through the command once each has acknowledged BEFORE cards,
    let them write on and stop them. Returns (the file, the acks before, every ack)."""
    code, tokens = room(db)
    writers = [Writer(db, code, token, f"w{n}") for n, token in enumerate(tokens)]
    try:
        for writer in writers:
            writer.wait_acks(BEFORE)
        before = {}
        for writer in writers:
            before.update(writer.snapshot())
        done = run("backup", "--out", str(out), db=db)
        path = Path(done.stdout.strip())
        assert "passed its integrity check" in done.stderr, done.stderr
        for writer in writers:  # the room went on writing while and after the copy was made
            count = len(writer.snapshot())
            writer.wait(lambda w, count=count: len(w.acked) > count + 2)
    finally:
        for writer in writers:
            writer.kill()
    acked = {}
    for writer in writers:
        assert not [line for line in writer.lines if line.startswith("error")], writer.lines[-3:]
        acked.update(writer.acked)
    return path, before, acked


def check_copy(wb: Workbook, before: dict[int, str], acked: dict[int, str]) -> None:
    """The copy holds every card acknowledged before the backup, each once, no card that was
    never acknowledged, and a change log consistent with its cards."""
    with wb.store.read() as s:
        cards = {c.id: c.text for c in s.scalars(select(Card))}
        changes = list(s.scalars(select(Change).order_by(Change.revision)))
    assert before.items() <= cards.items()
    assert cards.items() <= acked.items()  # nothing half-written (the last in-flight ones aside)
    texts = list(cards.values())
    assert len(texts) == len(set(texts))
    added = [c.entity_id for c in changes if c.action == "card.add"]
    assert sorted(added) == sorted(cards)
    assert [c.revision for c in changes] == list(range(1, len(changes) + 1))
    assert wb.store.find_latest_revision() == len(changes)


def test_sqlite_backup_while_four_kernels_write(tmp_path):
    live = tmp_path / "room.db"
    db = f"sqlite:///{live}"
    folder = tmp_path / "backups"
    path, before, acked = back_up_while_writing(db, folder)
    assert path.parent == folder and path.name.startswith("actionlab-") and path.suffix == ".sqlite3"
    assert len(before) >= WRITERS * BEFORE and len(acked) > len(before)

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchall() == [("delete",)]
    finally:
        conn.close()
    copy = f"sqlite:///{path}"
    with Workbook.open(Settings(db_url=copy)) as wb:  # at the current schema, no upgrade needed
        check_copy(wb, before, acked)

    with Workbook.open(Settings(db_url=db)) as wb:  # the live store notes the backup
        last = wb.store.find_server_state(STATE)
    assert last["ok"] and last["path"] == str(path) and last["size"] == path.stat().st_size

    # Restore as docs/operations.md says: server stopped (the writers are), the database file
    # and its -wal/-shm companions moved away, the copy put in their place.
    for suffix in ("", "-wal", "-shm"):
        side = Path(f"{live}{suffix}")
        if side.exists():
            side.rename(tmp_path / f"old{suffix}")
    shutil.copyfile(path, live)
    with Workbook.open(Settings(db_url=db)) as wb:
        check_copy(wb, before, acked)
        ws = wb.workshops.all()[0]
        assert [m.name for m in wb.workshops.members(ws)] == [f"Writer {n}" for n in range(1, 5)]


def test_backup_command_help_and_a_clear_error(tmp_path):
    assert "--keep" in run("backup", "--help").stdout
    done = run("backup", db=f"sqlite:///{tmp_path / 'missing.db'}", check=False)
    assert done.returncode == 2 and "no database file" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "missing.db").exists()


def test_postgresql_backup_while_four_kernels_write(postgres_server, tmp_path):
    if find_pg_program("pg_dump") is None or find_pg_program("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed (Debian package postgresql-client)")
    name = "t_" + uuid.uuid4().hex[:16]
    db = postgres_server.create_database(name)
    restored_name = name + "_r"
    try:
        path, before, acked = back_up_while_writing(db, tmp_path / "backups")
        assert path.suffix == ".dump" and path.stat().st_size > 0
        listed = subprocess.run([str(find_pg_program("pg_restore")), "--list", str(path)],
                                capture_output=True, text=True, check=True).stdout
        assert "TABLE DATA public cards" in listed

        # Restore into an empty database, as docs/operations.md says.
        target = postgres_server.create_database(restored_name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        done = subprocess.run(
            [str(find_pg_program("pg_restore")), "--no-owner", "--exit-on-error",
             f"--dbname=postgresql://{postgres_server.user}@{postgres_server.host}:"
             f"{postgres_server.port}/{restored_name}", str(path)],
            capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        with Workbook.open(Settings(db_url=target)) as wb:
            check_copy(wb, before, acked)
        with Workbook.open(Settings(db_url=db)) as wb:
            assert wb.store.find_server_state(STATE)["path"] == str(path)
    finally:
        postgres_server.drop_database(restored_name)
        postgres_server.drop_database(name)


def test_the_command_runs_from_any_folder(tmp_path):
    """``python -m actionlab backup`` needs nothing from the working folder."""
    db = f"sqlite:///{tmp_path / 'one.db'}"
    room(db)
    done = subprocess.run([sys.executable, "-m", "actionlab", "backup", "--db", db, "--keep", "1"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    written = Path(done.stdout.strip())
    assert written.parent == Path(os.environ["ACTIONLAB_HOME"]) / "backups"
