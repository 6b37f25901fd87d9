"""Change signals on both databases: a write by one page wakes another page's live loop at once
(a PostgreSQL notification on a listening socket, an SQLite file change), for its own workshop.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from actionlab.db.signal import FileStatSignal, PgNotifySignal
from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR
from actionlab.settings import Settings
from tests.support.loops import run_in_own_loop
from widgets.live import LiveLoop

pytestmark = pytest.mark.integration


@pytest.fixture
def two_pages(db_url):
    """Two workbooks on one store, as two kernels would hold them."""
    first = Workbook.open(Settings(db_url=db_url), upgrade=True)
    second = Workbook.open(Settings(db_url=db_url))
    yield first, second
    first.close()
    second.close()


def test_signal_kind_follows_the_database(two_pages, db_url):
    first, _second = two_pages
    ws = first.workshops.create("Kind", "en", 1)
    signal = first.store.change_signal(ws.id)
    try:
        expected = FileStatSignal if db_url.startswith("sqlite") else PgNotifySignal
        assert isinstance(signal, expected)
        assert not signal.broken
    finally:
        signal.close()


def test_a_write_on_one_page_wakes_the_other_pages_loop(two_pages, db_url):
    first, second = two_pages
    ws = first.workshops.create("Wake", "en", 1)
    other = first.workshops.create("Elsewhere", "en", 1)
    group = first.workshops.groups(ws)[0]
    other_group = first.workshops.groups(other)[0]
    loop = LiveLoop(second.feed(ws.id), interval=0.2)
    loop.fallback = 3600.0  # only the signal can bring the change in time
    seen: list[str] = []
    loop.subscribe(lambda batch: seen.extend(c.payload.get("text", c.action) for c in batch.changes))

    async def until(condition, seconds=10.0):
        for _ in range(int(seconds / 0.02)):
            if condition():
                return True
            await asyncio.sleep(0.02)
        return condition()

    async def scenario():
        loop.start()
        await asyncio.sleep(0.3)
        if loop._signal is not None and isinstance(loop._signal, PgNotifySignal):
            # another workshop's write does not wake this page on PostgreSQL
            assert not loop._signal.changed()
            first.canvas.add_card(FACILITATOR_AUTHOR, other, other_group.id, "restructure",
                                  "symptoms", "not ours")
            await asyncio.sleep(0.3)
            assert not loop._signal.changed()
        first.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "restructure", "symptoms", "ours")
        assert await until(lambda: len(seen) == 1)
        loop.stop()

    run_in_own_loop(scenario)
    assert seen == ["ours"]


def test_a_participants_page_is_not_woken_by_another_groups_card(two_pages, db_url):
    """On PostgreSQL a page that listens for its group ignores other groups' cards and hears
    its own and the workshop's; the projector (no group) hears them all."""
    if not db_url.startswith("postgresql"):
        pytest.skip("a page that holds an SQLite store sees any write to the file")
    first, second = two_pages
    ws = first.workshops.create("Groups", "en", 2)
    mine, other = first.workshops.groups(ws)
    member_page = second.store.change_signal(ws.id, mine.id)
    projector = second.store.change_signal(ws.id)
    try:
        assert isinstance(member_page, PgNotifySignal)

        def heard_soon(signal) -> bool:
            for _ in range(100):  # a notification arrives at commit; up to 2 s
                if signal.changed():
                    return True
                time.sleep(0.02)
            return False

        first.canvas.add_card(FACILITATOR_AUTHOR, ws, other.id, "restructure", "symptoms", "theirs")
        assert heard_soon(projector)
        assert not heard_soon(member_page)  # the same commit reached it: it did not count
        first.canvas.add_card(FACILITATOR_AUTHOR, ws, mine.id, "restructure", "symptoms", "ours")
        assert heard_soon(member_page) and heard_soon(projector)
    finally:
        member_page.close()
        projector.close()


def test_a_listening_connection_the_server_ends_makes_the_page_ask_the_store(two_pages, db_url, caplog):
    """PostgreSQL ends the page's listening connection (a restart, an administrator): the
    signal says "changed" once so the page asks the store, is broken from then on (the loop
    asks at every interval) and says so in the log."""
    if not db_url.startswith("postgresql"):
        pytest.skip("a page that holds an SQLite store listens to no connection")
    first, _second = two_pages
    ws = first.workshops.create("Ended", "en", 1)
    signal = first.store.change_signal(ws.id)
    try:
        assert isinstance(signal, PgNotifySignal) and signal.fileno() is not None
        pid = signal._conn.info.backend_pid
        with first.store.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        deadline = time.monotonic() + 10
        fired = False
        while not fired and time.monotonic() < deadline:
            fired = signal.changed()
            if not fired:
                time.sleep(0.05)
        assert fired and signal.broken and signal.fileno() is None
        assert not signal.changed()  # broken: the loop's interval does the asking now
        assert "change signal lost" in caplog.text
    finally:
        signal.close()
