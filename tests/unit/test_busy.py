"""A write that waits too long for SQLite's lock says so in words a participant understands,
and keeps nothing half-written."""

from __future__ import annotations

import sqlite3

import pytest

from actionlab.errors import Busy
from actionlab.i18n import translator
from actionlab.services import Workbook
from actionlab.settings import Settings
from widgets.common import MessageLine


def test_a_write_blocked_past_the_busy_timeout_is_busy_and_the_page_says_try_again(tmp_path):
    db = tmp_path / "busy.db"
    wb = Workbook.open(Settings(db_url=f"sqlite:///{db}", busy_timeout_ms=200), upgrade=True)
    before = wb.store.find_latest_revision()
    holder = sqlite3.connect(str(db), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another kernel in the middle of a long write
    try:
        with pytest.raises(Busy):
            wb.workshops.create("Busy room", "en", 2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert wb.store.find_latest_revision() == before
    assert wb.workshops.all() == []

    line = MessageLine(translator("zh"))
    line.error(Busy("database busy: database is locked"))
    assert "内容没有丢失" in line.widget.value and "locked" not in line.widget.value
    wb.close()
