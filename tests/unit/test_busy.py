"""A write that waits too long for SQLite's lock says so in words a participant understands,
and keeps nothing half-written."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from actionlab.errors import Busy
from actionlab.i18n import translator
from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR
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


def test_threads_of_one_process_take_turns_and_one_kept_waiting_is_told_busy(tmp_path):
    """The room's store server writes from a thread per page: they queue for SQLite's one
    writer in the process; one that waits past the busy timeout is refused, nothing lost."""
    wb = Workbook.open(Settings(db_url=f"sqlite:///{tmp_path / 'turns.db'}", busy_timeout_ms=300),
                       upgrade=True)
    ws = wb.workshops.create("Turns", "en", 1)
    group = wb.workshops.groups(ws)[0]
    inside, leave = threading.Event(), threading.Event()
    outcome: list[str] = []

    def long_write() -> None:
        with wb.store.write("facilitator"):
            inside.set()
            leave.wait(10)

    def card(text: str) -> None:
        try:
            wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "restructure", "symptoms", text)
            outcome.append(f"saved {text}")
        except Busy as exc:
            outcome.append(f"busy {text}: {exc}")

    holder = threading.Thread(target=long_write)
    holder.start()
    assert inside.wait(10)
    card("while held")  # waits its turn past the timeout
    leave.set()
    holder.join(10)
    card("after")
    assert outcome[0].startswith("busy while held: database busy")
    assert outcome[1] == "saved after"
    assert [c.text for c in wb.canvas.cards(ws)] == ["after"]
    wb.close()
