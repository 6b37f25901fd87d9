"""Backups of the whole store (actionlab/services/storebackup.py) and the console's backup line
(widgets/backupinfo.py), on SQLite files; the live-room and PostgreSQL cases are in
tests/integration/test_store_backup.py."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from actionlab.errors import InvalidInput
from actionlab.i18n import translator
from actionlab.services import storebackup
from actionlab.services.storebackup import StoreBackupService, backups_in, human_size
from actionlab.settings import Settings
from actionlab.store import Store
from widgets.backupinfo import BackupInfo
from widgets.common import local_time

T0 = datetime(2026, 3, 2, 6, 5, 0)


@pytest.fixture
def service(wb):
    return StoreBackupService(wb.store, wb.settings)


def rows(path: Path, sql: str) -> list:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_backup_is_a_checked_single_file_in_the_data_folder_and_is_recorded(wb, service):
    ws = wb.workshops.create("Backed up", "en", 2)
    result = service.back_up(now=T0)
    folder = Path(os.environ["ACTIONLAB_HOME"]) / "backups"
    assert result.ok and result.check == "ok" and result.kind == "sqlite"
    assert result.path == folder / "actionlab-20260302-060500Z.sqlite3"
    assert sorted(p.name for p in folder.iterdir()) == [result.path.name]  # no -wal, no .partial
    assert result.size == result.path.stat().st_size > 0
    assert rows(result.path, "PRAGMA journal_mode") == [("delete",)]
    assert rows(result.path, "SELECT code, title FROM workshops") == [(ws.code, "Backed up")]
    assert service.last() == {
        "at": "2026-03-02T06:05:00", "ok": True, "path": str(result.path), "size": result.size,
        "kind": "sqlite", "check": "ok", "error": None,
        "last_ok": {"at": "2026-03-02T06:05:00", "path": str(result.path), "size": result.size}}


def test_only_the_newest_backups_are_kept(wb, service):
    first = service.back_up(now=T0)
    same_second = service.back_up(now=T0)
    assert same_second.path.name == "actionlab-20260302-060500-1Z.sqlite3"
    later = [service.back_up(now=T0 + timedelta(minutes=n), keep=3) for n in (1, 2)]
    assert later[-1].removed == [first.path]
    folder = first.path.parent
    assert backups_in(folder, "sqlite") == [same_second.path, later[0].path, later[1].path]
    (folder / "notes.txt").write_text("mine")  # files of other names are left alone
    wb.settings.backup_keep = 1
    assert service.back_up(now=T0 + timedelta(minutes=3)).removed == [same_second.path, *[p.path for p in later]]
    assert sorted(p.name for p in folder.iterdir()) == ["actionlab-20260302-060800Z.sqlite3", "notes.txt"]


def test_out_names_a_file_or_a_folder_and_never_overwrites(wb, service, tmp_path):
    exact = tmp_path / "copies" / "before-upgrade.db"
    assert service.back_up(exact, now=T0).path == exact
    with pytest.raises(InvalidInput, match="already exists"):
        service.back_up(exact, now=T0)
    assert service.last()["ok"] is False and service.last()["error"]["params"] == {"path": str(exact)}
    assert service.last()["last_ok"]["path"] == str(exact)  # the last good one is still known
    folder = tmp_path / "elsewhere"
    assert service.back_up(str(folder) + "/", now=T0).path.parent == folder
    wb.settings.backup_dir = str(tmp_path / "configured")
    assert service.back_up(now=T0).path.parent == tmp_path / "configured"


def test_a_copy_failing_its_check_is_kept_apart_and_reported(wb, service, monkeypatch):
    def broken(source, dest, busy_timeout_ms):
        dest.write_bytes(b"not a database")
        return "*** in database main *** Page 3: btreeInitPage() returns error code 11"

    monkeypatch.setattr(storebackup, "_copy_sqlite", broken)
    result = service.back_up(now=T0, keep=1)
    assert not result.ok and result.path.name.endswith(".sqlite3.failed")
    assert backups_in(result.path.parent, "sqlite") == [] and result.path.exists()
    last = service.last()
    assert last["ok"] is False and "btreeInitPage" in last["error"]["params"]["problem"]
    assert "last_ok" not in last


def test_what_cannot_be_backed_up_says_why(tmp_path, monkeypatch):
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'none.db'}")
    missing = Store(create_engine(settings.db_url))
    with pytest.raises(InvalidInput, match="no database file"):
        StoreBackupService(missing, settings).back_up()
    assert not (tmp_path / "none.db").exists()  # looking did not create it
    memory = Store(create_engine("sqlite://"))
    with pytest.raises(InvalidInput, match="in-memory"):
        StoreBackupService(memory, Settings(db_url="sqlite://")).back_up()
    monkeypatch.setattr(storebackup, "find_pg_program", lambda name: None)
    pg = Store(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with pytest.raises(InvalidInput, match=r"pg_dump was not found .*postgresql-client"):
        StoreBackupService(pg, Settings(db_url="postgresql+psycopg://nobody@127.0.0.1:1/none")).back_up()


def test_postgres_connection_details_keep_the_password_off_the_command_line():
    uri, env = storebackup._pg_conninfo("postgresql+psycopg://ana:s3cr%40t@db.example:5433/room?sslmode=require")
    assert uri == "postgresql://ana@db.example:5433/room?sslmode=require"
    assert env["PGPASSWORD"] == "s3cr@t"


def test_sizes_read_like_a_file_manager():
    assert [human_size(n) for n in (80, 2048, 2_200_000, 3 * 1024 ** 3)] == [
        "80 B", "2.0 KB", "2.1 MB", "3.0 GB"]


def test_the_console_line_shows_the_last_backup_and_backs_up_now(wb, monkeypatch):
    info = BackupInfo(wb, translator("en"))
    assert 'data-state="none"' in info.last.value and "No backup of the store yet." in info.last.value
    result = info.back_up()
    assert result.ok and not info.now.disabled and info.now.description == "Back up now"
    assert 'data-state="ok"' in info.last.value
    # the time is the local wall clock of today's backup, then the size
    assert f"Last backup: {local_time(result.at)}, {human_size(result.size)}" in info.last.value
    assert str(result.path) in info.message.widget.value

    monkeypatch.setattr(storebackup, "find_pg_program", lambda name: None)
    monkeypatch.setattr(StoreBackupService, "kind", lambda self: "pg_dump")
    assert info.back_up() is None
    assert "pg_dump was not found" in info.message.widget.value and "wb-error" in info.message.widget.value
    assert 'data-state="failed"' in info.last.value
    assert "Last good backup:" in info.last.value and human_size(result.size) in info.last.value

    other = BackupInfo(wb, translator("zh"))  # another console, another language
    assert "备份失败" in other.last.value and "上次成功的备份" in other.last.value
    assert "备份保存在" in other.folder.value and str(info.service.folder()) in other.folder.value
