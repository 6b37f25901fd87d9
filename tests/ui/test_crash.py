"""A crash of the whole server while the room is writing loses nothing that was acknowledged.

SQLite, the real thing: ``actionlab serve`` (Voila and its page kernels) on a SQLite file,
participant kernels as separate processes adding cards in a loop (each prints a card's id only
after the workbook returned it), a participant on a real page in Chromium adding a card, one
more kernel killed in the middle of a write transaction. Then SIGKILL for the server's process
group, every kernel's and every writer's, with writes in flight; the server starts again on the
same file. Every acknowledged card is there exactly once, nothing half-written is, the database
passes its integrity check, and the participant's personal link brings them back as themselves.

PostgreSQL, the store level: the server stays up, participant kernels are killed with SIGKILL
in the middle of their transactions; the same promises hold and the room writes on.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from actionlab.db.models import Card, Change
from actionlab.services import Workbook
from actionlab.services.canvas import Author
from actionlab.settings import Settings
from tests.support.server import VoilaServer
from tests.support.writer import Writer
from tests.ui.room import join

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.integration, pytest.mark.ui]

WRITERS = 3
ACKS = 10  # cards each writer has acknowledged before the crash


def make_room(db: str, writers: int):
    """A two-group workshop and ``writers`` members who joined; returns (code, tokens)."""
    with Workbook.open(Settings(db_url=db), upgrade=True) as wb:
        ws = wb.workshops.create("Crash room", "en", 2)
        groups = wb.workshops.groups(ws)
        tokens = [wb.workshops.join(ws.code, groups[n % 2].id, f"Kernel {n}").token
                  for n in range(writers)]
    return ws.code, tokens


def check_store(db: str, acked: dict[int, str], *, gone: set[str], maybe: set[str]) -> dict[str, int]:
    """Every acknowledged card once with its text; ``gone`` texts absent; every other card is
    one that may have committed as the crash hit (``maybe``); one ``card.add`` per card and
    gapless revisions. Returns how many cards hold each text."""
    with Workbook.open(Settings(db_url=db)) as wb:
        with wb.store.read() as s:
            cards = list(s.scalars(select(Card)))
            changes = list(s.scalars(select(Change).order_by(Change.revision)))
        latest = wb.store.find_latest_revision()
    by_id = {c.id: c.text for c in cards}
    texts = Counter(by_id.values())
    for card_id, text in acked.items():
        assert by_id.get(card_id) == text, f"acknowledged card {card_id} ({text}) lost"
    assert all(n == 1 for n in texts.values()), [t for t, n in texts.items() if n > 1]
    assert not gone & set(texts), gone & set(texts)
    assert set(texts) <= set(acked.values()) | maybe, set(texts) - set(acked.values()) - maybe
    added = Counter(c.entity_id for c in changes if c.action == "card.add")
    assert added == Counter(by_id.keys()), "every card has exactly one card.add row in the log"
    assert [c.revision for c in changes] == list(range(1, latest + 1))
    return dict(texts)


def start_writers(db: str, code: str, tokens: list[str]) -> list[Writer]:
    writers = [Writer(db, code, token, f"k{n}") for n, token in enumerate(tokens)]
    for writer in writers:
        writer.wait_acks(ACKS)
    return writers


def acks_of(writers: list[Writer]) -> dict[int, str]:
    acked = {}
    for writer in writers:
        acked.update(writer.acked)
    return acked


def add_on_page(page, text: str) -> None:
    form = page.locator(".wb-column-symptoms .wb-add")
    form.locator(".wb-add-text textarea").fill(text)
    form.locator(".wb-add-button").click()


def test_sigkill_of_the_server_and_kernels_loses_no_acknowledged_write(tmp_path, pages):
    live = tmp_path / "room.db"
    db = f"sqlite:///{live}"
    code, tokens = make_room(db, WRITERS + 1)
    server = VoilaServer(tmp_path, db, own_group=True).start()
    writers: list[Writer] = []
    try:
        # a participant on a real page: joins, adds a card and sees it on the board
        page = join(pages, server, code, 0, "Pat Browser")
        personal = page.url
        add_on_page(page, "Pat's acknowledged card")
        shown = page.locator(".wb-column-symptoms .wb-card-text", has_text="Pat's acknowledged card")
        expect(shown).to_have_count(1)

        writers = start_writers(db, code, tokens[:WRITERS])
        # in flight when the crash comes: Pat's second card (clicked, not waited for) and a
        # kernel inside a write transaction it has not committed
        add_on_page(page, "Pat's card in flight")
        holder = Writer(db, code, tokens[WRITERS], "held", hold=True)
        writers.append(holder)
        holder.wait(lambda w: any(line.startswith("holding") for line in w.lines))
        assert len(server.kernel_processes()) >= 1  # the page's kernel dies with the server
        server.crash()
        for writer in writers:
            writer.kill()
        page.close()
    finally:
        for writer in writers:
            writer.kill()
        if server.proc is not None:
            server.stop()

    acked = acks_of(writers)
    assert len(acked) >= WRITERS * ACKS
    conn = sqlite3.connect(live)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    maybe = {w.in_flight() for w in writers} | {"Pat's acknowledged card", "Pat's card in flight"}
    texts = check_store(db, acked, gone={"held held"}, maybe=maybe)
    assert texts["Pat's acknowledged card"] == 1

    # the server comes back on the same file and port; the personal link still works
    server.start()
    try:
        try:  # the first page after a restart imports everything afresh: give it time
            again = pages.open(personal, width=420, height=900, timeout_ms=180_000)
        except Exception as exc:
            raise AssertionError(f"the page did not come back after the restart: {exc}\n"
                                 f"server log:\n{server.log()[-6000:]}") from exc
        expect(again.locator(".wb-member-name")).to_have_text("Pat Browser")
        expect(again.locator(".wb-join-submit")).to_have_count(0)
        board = again.locator(".wb-column-symptoms")
        expect(board.locator(".wb-card-text", has_text="Pat's acknowledged card")).to_have_count(1)
        for text in [t for t in acked.values() if t.startswith("k0 ")][:3]:  # Pat's group
            exact = re.compile("^" + re.escape(text) + "$")
            expect(board.locator(".wb-card-text", has_text=exact)).to_have_count(1)
        # and the room writes on
        add_on_page(again, "Pat after the restart")
        expect(board.locator(".wb-card-text", has_text="Pat after the restart")).to_have_count(1)
    finally:
        server.stop()


def test_postgresql_kernels_killed_mid_transaction_lose_nothing_acknowledged(postgres_server):
    name = "t_" + uuid.uuid4().hex[:16]
    db = postgres_server.create_database(name)
    writers: list[Writer] = []
    try:
        code, tokens = make_room(db, WRITERS + 2)
        writers = start_writers(db, code, tokens[:WRITERS])
        holders = [Writer(db, code, token, f"held{n}", hold=True)
                   for n, token in enumerate(tokens[WRITERS:])]
        writers += holders
        for holder in holders:
            holder.wait(lambda w: any(line.startswith("holding") for line in w.lines))
        for writer in writers:  # the database server stays up; the kernels die at once
            writer.kill()
        acked = acks_of(writers)
        maybe = {w.in_flight() for w in writers}
        check_store(db, acked, gone={"held0 held", "held1 held"}, maybe=maybe)

        # the locks of the dead kernels are gone: the room writes on, revisions still gapless
        with Workbook.open(Settings(db_url=db)) as wb:
            ws = wb.workshops.get(code)
            author = Author(wb.workshops.resume(code, tokens[0]))
            card = wb.canvas.add_card(author, ws, author.member.group_id, "restructure",
                                      "symptoms", "after the crash")
            acked[card.id] = card.text
        check_store(db, acked, gone={"held0 held", "held1 held"}, maybe=maybe)
    finally:
        for writer in writers:
            writer.kill()
        postgres_server.drop_database(name)
