"""The room's store server (``python -m actionlab.storeserver``) and the participants' pages
that reach the store through it (:mod:`actionlab.remotestore`), on SQLite and PostgreSQL.

A participant's page kernel under ``actionlab serve`` never imports SQLAlchemy: what it reads
and writes goes over the server's socket and must come back as the store's own answers would
(rows with the same values, the same exceptions), room edits made from several pages at once
must all land, and its live loop must still hear the changes.
"""

from __future__ import annotations

import json
import os
import select
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from actionlab.errors import NotFound, StoreError
from actionlab.remotestore import RemoteStore
from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author
from actionlab.settings import Settings
from actionlab.storeserver import answer
from tests.support.storeserver import running_store_server

pytestmark = pytest.mark.integration


@pytest.fixture
def room(db_url):
    """A workshop with two groups and a member in the first, and the store server on it."""
    wb = Workbook.open(Settings(db_url=db_url), upgrade=True)
    ws = wb.workshops.create("Remote room", "en", 2, canvases=["restructure"])
    group = wb.workshops.groups(ws)[0]
    joined = wb.workshops.join(ws.code, group.id, "Ann")
    with running_store_server(db_url) as server:
        yield wb, ws, group, joined, server
    wb.close()


def _remote(db_url: str, server) -> Workbook:
    return Workbook.open(Settings(db_url=db_url, store_socket=server.path), remote=True)


def test_rows_and_errors_come_back_as_the_store_gives_them(db_url, room):
    wb, ws, group, joined, server = room
    remote = _remote(db_url, server)
    try:
        assert isinstance(remote.store, RemoteStore)
        bob = remote.workshops.join(ws.code, group.id, "Bob")  # the store's add_member(name=…)
        assert wb.store.find_member(bob.member.id).name == "Bob"
        card = remote.canvas.add_card(Author(joined.member), ws, group.id, "restructure",
                                      "symptoms", "Queues at the front desk <b>every</b> Monday")
        direct = wb.store.find_card(card.id)
        columns = [c.key for c in type(direct).__table__.columns]
        assert {k: getattr(card, k) for k in columns} == {k: getattr(direct, k) for k in columns}
        assert type(card.created_at) is type(direct.created_at)
        # what the member's page reads, read both ways, is the same
        mine = remote.store.find_cards(ws.id, group_id=group.id, canvas="restructure")
        theirs = wb.store.find_cards(ws.id, group_id=group.id, canvas="restructure")
        assert [(c.id, c.text, c.fields) for c in mine] == [(c.id, c.text, c.fields) for c in theirs]
        assert remote.workshops.get(ws.code).room == wb.workshops.get(ws.code).room
        with pytest.raises(NotFound):
            remote.store.find_card(card.id + 1000)
    finally:
        remote.close()


def test_only_the_stores_verbs_go_over_the_wire(db_url, room):
    wb, _ws, _group, _joined, server = room
    remote = RemoteStore.open(server.path)
    try:
        for name in ("engine", "read", "write", "restore", "update_server_state", "_notify"):
            with pytest.raises(AttributeError):
                getattr(remote, name)
        with pytest.raises(StoreError, match="no call"):
            remote.call("update_server_state", "backup", None)
        with pytest.raises(StoreError, match="no call"):
            remote.call("close")
    finally:
        remote.close()
    assert "error" in answer(wb.store, {"call": "__init__", "args": []})


def test_room_edits_from_several_pages_at_once_all_land(db_url, room):
    """Questions pushed from two pages at once (each a read, an edit and a conditional write
    of the room) are numbered once each and every one is in the question log."""
    wb, ws, group, _joined, server = room
    pages = [_remote(db_url, server) for _ in range(2)]
    pushed = 12
    failures = []

    def push(page: Workbook, n: int) -> None:
        try:
            for i in range(pushed):
                page.questions.push(page.workshops.get(ws.code), text=f"Question {n}.{i}",
                                    group_id=group.id)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    threads = [threading.Thread(target=push, args=(page, n)) for n, page in enumerate(pages)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for page in pages:
        page.close()
    assert not failures, failures
    final = wb.workshops.get(ws.code)
    assert final.room["question_seq"] == 2 * pushed
    assert len(wb.questions.log(final)) == 2 * pushed


def test_a_speaking_turn_is_recorded_through_the_server(db_url, room):
    wb, ws, group, joined, server = room
    remote = _remote(db_url, server)
    try:
        remote.speaking.setup(FACILITATOR_AUTHOR, ws, group.id, seconds=60)
        remote.speaking.start_turn(FACILITATOR_AUTHOR, remote.workshops.get(ws.code), group.id)
        remote.speaking.next(FACILITATOR_AUTHOR, remote.workshops.get(ws.code), group.id)
    finally:
        remote.close()
    turns = wb.store.find_turns(ws.id)
    assert [(t.member_id, t.skipped) for t in turns] == [(joined.member.id, False)]


def test_the_server_ends_with_the_process_that_started_it(db_url, tmp_path):
    Workbook.open(Settings(db_url=db_url), upgrade=True).close()
    with running_store_server(db_url) as server:
        folder = Path(server.path).parent
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(os.stat(server.path).st_mode) == 0o600
    assert server.proc.poll() == 0
    assert not folder.exists()


ORPHAN = """
import os, sys
from actionlab import storeserver
server = storeserver.Running(sys.executable, dict(os.environ))
print(server.path, flush=True)
os._exit(0)  # as a Voila process killed with -9: nothing closes the server
"""


def test_a_server_whose_voila_process_died_ends_and_leaves_no_folder(db_url):
    Workbook.open(Settings(db_url=db_url), upgrade=True).close()
    done = subprocess.run([sys.executable, "-c", ORPHAN], env={**os.environ, "ACTIONLAB_DB": db_url},
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip()).parent
    deadline = time.monotonic() + 30
    while folder.exists() and time.monotonic() < deadline:  # removed once it stops serving
        time.sleep(0.05)
    assert not folder.exists()


PAGE = """
import json, select, sys
from actionlab.services.canvas import FACILITATOR_AUTHOR
from widgets.pages import participant_page

page = participant_page(sys.argv[1], show=False)
assert type(page.workbook.store).__name__ == "RemoteStore", type(page.workbook.store)
column = page.board.columns[0]
column.add_text.value = "Typed on a phone"
column._add()
board = page.boards[-1]
signal = page.workbook.feed(board.workshop.id).signal()
page.workbook.canvas.add_card(FACILITATOR_AUTHOR, board.workshop, board.group.id,
                              board.canvas.key, board.canvas.columns[0].key, "From the front")
if signal.fileno() is not None:  # PostgreSQL: the server's byte, as the live loop waits for it
    select.select([signal.fileno()], [], [], 10)
heard = signal.changed()
page.loop.tick()
shown = [v.card.text for c in board.columns for v in c.views.values()]
print(json.dumps({"db": sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "psycopg")),
                  "heard": heard, "shown": shown}))
"""


def test_a_participants_page_runs_without_sqlalchemy(db_url, room, tmp_path):
    """A member's page built in a fresh interpreter, as in a page kernel under ``actionlab
    serve``: its card reaches the store, the facilitator's card reaches its board, and
    neither SQLAlchemy nor the PostgreSQL driver was ever imported."""
    wb, ws, _group, joined, server = room
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONLAB_")}
    env.update(ACTIONLAB_DB=db_url, ACTIONLAB_STORE_SOCKET=server.path,
               ACTIONLAB_HOME=str(tmp_path / "home"), MPLCONFIGDIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", PAGE, f"code={ws.code}&me={joined.token}"],
                          env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["db"] == []  # nor psycopg: PostgreSQL's changes come through the server
    assert seen["heard"] is True
    assert "From the front" in seen["shown"]
    texts = [c.text for c in wb.store.find_cards(ws.id)]
    assert "Typed on a phone" in texts


def test_a_deep_temporary_folder_still_gets_a_store_server(db_url, tmp_path, monkeypatch):
    """A Unix socket's path holds at most 107 bytes: a deep TMPDIR must not leave the room's
    pages without their store server."""
    Workbook.open(Settings(db_url=db_url), upgrade=True).close()
    deep = tmp_path / ("very-deep-folder-" * 6)
    deep.mkdir()
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    with running_store_server(db_url) as server:
        assert len(server.path.encode()) <= 107
        assert RemoteStore.open(server.path).find_latest_revision() >= 0


def _woken(signal, seconds: float = 10.0) -> bool:
    """Whether ``signal`` says "changed" within ``seconds`` (waiting on its socket)."""
    fd = signal.fileno()
    if fd is not None:
        select.select([fd], [], [], seconds)
    return signal.changed()


def _two_groups(url: str):
    """A workbook on ``url`` with a workshop of two groups, and a store server on it."""
    wb = Workbook.open(Settings(db_url=url), upgrade=True)
    ws = wb.workshops.create("Relay room", "en", 2, canvases=["restructure"])
    with running_store_server(url) as server:
        yield wb, ws, wb.workshops.groups(ws), server
    wb.close()


@pytest.fixture
def relay_room(db_url):
    yield from _two_groups(db_url)


@pytest.fixture
def pg_room(postgres_server):
    url = postgres_server.create_database("relay_room")
    try:
        yield from _two_groups(url)
    finally:
        postgres_server.drop_database("relay_room")


def test_changes_reach_each_page_through_the_server(relay_room):
    """The room's changes are heard once, by the server (PostgreSQL's LISTEN; SQLite's files,
    looked at for the whole room): a participant's page is woken by its own group's change and
    the workshop's, not by another group's (which comes with its regular check), and sleeps on
    its socket meanwhile."""
    wb, ws, (first, second), server = relay_room
    remote = RemoteStore.open(server.path)
    try:
        assert remote.call("signal_spec") == {"kind": "relay"}
        mine = remote.change_signal(ws.id, first.id)
        everyone = remote.change_signal(ws.id)
        assert mine.fileno() is not None and not mine.changed()
        wb.canvas.add_card(FACILITATOR_AUTHOR, ws, second.id, "restructure", "symptoms", "Theirs")
        assert _woken(everyone)
        assert not _woken(mine, 1.0)
        wb.canvas.add_card(FACILITATOR_AUTHOR, ws, first.id, "restructure", "symptoms", "Ours")
        assert _woken(mine) and _woken(everyone)
        wb.store.update_workshop_options("facilitator", ws.id, ("note",), "whole room")
        assert _woken(mine) and _woken(everyone)  # a change of the whole workshop wakes every page
        other = wb.workshops.create("Next door", "en", 1, canvases=["restructure"])
        wb.canvas.add_card(FACILITATOR_AUTHOR, other, wb.workshops.groups(other)[0].id,
                           "restructure", "symptoms", "Elsewhere")
        assert not _woken(everyone, 1.0)  # another workshop's change wakes nobody here
        mine.close()
        everyone.close()
    finally:
        remote.close()


def test_a_lost_database_connection_is_told_to_the_pages_and_mended(pg_room):
    """When the database drops the server's listening connection, each page's signal breaks
    (its page asks the store at every interval meanwhile) and a new one hears changes again."""
    wb, ws, (first, _second), server = pg_room
    remote = RemoteStore.open(server.path)
    try:
        signal = remote.change_signal(ws.id, first.id)
        with wb.store.read() as session:
            from sqlalchemy import text

            ended = session.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")).scalars().all()
        assert ended and all(ended)
        assert _woken(signal)  # told: the connection closed under it
        assert signal.broken and signal.fileno() is None
        again = None
        for _ in range(300):  # the relay listens again within its retry delay
            again = remote.change_signal(ws.id, first.id)
            if not again.broken and type(again).__name__ == "RelaySignal":
                break
            select.select([], [], [], 0.1)
        assert again is not None and not again.broken
        wb.canvas.add_card(FACILITATOR_AUTHOR, ws, first.id, "restructure", "symptoms", "Back")
        assert _woken(again)
        again.close()
    finally:
        remote.close()


def test_a_store_server_that_dies_is_started_again_and_pages_carry_on(db_url, room):
    """Killed outright (as by the out-of-memory killer), the server is started again on the
    same socket; a page's call while it is away fails with a store error (the page says so),
    and its next calls work without the page doing anything."""
    wb, ws, group, joined, server = room
    remote = _remote(db_url, server)
    try:
        remote.canvas.add_card(Author(joined.member), ws, group.id, "restructure", "symptoms",
                               "Before")
        first = server.proc
        first.kill()
        first.wait(10)
        done = threading.Event()
        for _ in range(600):  # until the server is back: a restart takes about a second
            try:
                remote.canvas.add_card(Author(joined.member), ws, group.id, "restructure",
                                       "symptoms", "After")
                break
            except StoreError:
                done.wait(0.05)
        assert server.restarts == 1 and server.proc is not first
        assert [c.text for c in wb.store.find_cards(ws.id)] == ["Before", "After"]
    finally:
        remote.close()
