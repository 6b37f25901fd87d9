"""The store server's SQLite relay (:class:`actionlab.storeserver.FileRelay`), in process on a
real SQLite file: which pages a look at the files wakes."""

from __future__ import annotations

import select
import socket

import pytest

from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR
from actionlab.settings import Settings
from actionlab.storeserver import FileRelay

pytestmark = pytest.mark.integration


def _woken(sock: socket.socket, seconds: float) -> bool:
    readable, _, _ = select.select([sock], [], [], seconds)
    if readable:
        sock.recv(4096)
    return bool(readable)


@pytest.fixture
def room(tmp_path):
    path = tmp_path / "store.db"
    wb = Workbook.open(Settings(db_url=f"sqlite:///{path}"), upgrade=True)
    ours = wb.workshops.create("Ours", "en", 2, canvases=["restructure"])
    theirs = wb.workshops.create("Theirs", "en", 1, canvases=["restructure"])
    relay = FileRelay(wb.store, str(path))
    pages = []

    def page(workshop_id, group_id=None) -> socket.socket:
        server_end, page_end = socket.socketpair()
        pages.append((server_end, page_end))
        relay.add(server_end, workshop_id, group_id)
        return page_end

    yield wb, ours, theirs, relay, page
    relay.close()
    for pair in pages:
        for sock in pair:
            sock.close()
    wb.close()


def test_a_look_wakes_only_the_pages_of_what_changed(room):
    wb, ours, theirs, _relay, page = room
    first, second = wb.workshops.groups(ours)
    member, projector, elsewhere = page(ours.id, first.id), page(ours.id), page(theirs.id)
    wb.canvas.add_card(FACILITATOR_AUTHOR, ours, second.id, "restructure", "symptoms", "B's")
    assert _woken(projector, 5)
    assert not _woken(member, 0.5) and not _woken(elsewhere, 0.1)
    wb.canvas.add_card(FACILITATOR_AUTHOR, ours, first.id, "restructure", "symptoms", "A's")
    assert _woken(member, 5) and _woken(projector, 5)
    assert not _woken(elsewhere, 0.5)


def test_more_changes_than_one_look_reads_wake_every_page(room):
    wb, ours, theirs, relay, page = room
    elsewhere = page(theirs.id)
    group = wb.workshops.groups(ours)[0]
    relay.close()  # no looks of its own while the changes pile up
    relay.BATCH = 3
    for i in range(4):
        wb.canvas.add_card(FACILITATOR_AUTHOR, ours, group.id, "restructure", "symptoms", f"c{i}")
    relay.pass_changes()
    assert _woken(elsewhere, 1)  # what the look did not read may concern anyone
    relay.pass_changes()  # the rest: this workshop's alone
    assert not _woken(elsewhere, 0.2)
