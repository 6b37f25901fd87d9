"""Views without a browser: escaping, live refresh of only what changed, layering."""

from __future__ import annotations

import subprocess
import sys

import ipywidgets as w

from actionlab.i18n import translator
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author
from widgets.canvas import CanvasBoard
from widgets.live import LiveLoop
from widgets.pages import query_params

HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>'



def html_values(widget) -> list[str]:
    out = []
    if isinstance(widget, w.HTML):
        out.append(widget.value)
    for child in getattr(widget, "children", ()):
        out.extend(html_values(child))
    return out


def test_typed_text_is_escaped_in_every_html_widget(wb):
    ws = wb.workshops.create("Esc", "en", 1)
    group = wb.workshops.groups(ws)[0]
    member = wb.workshops.join(ws.code, group.id, "<img src=x onerror=1>").member
    wb.canvas.add_card(Author(member), ws, group.id, "restructure", "symptoms", HOSTILE)
    board = CanvasBoard(wb, ws, group, wb.canvas.definition("restructure"), None, translator("en"))
    values = "".join(html_values(board.widget))
    assert "<img" not in values and "<script" not in values
    assert "&lt;img src=x onerror=alert(1)&gt;" in values


def test_live_loop_refreshes_only_the_boards_a_change_touches(wb):
    ws = wb.workshops.create("Live", "en", 2)
    g1, g2 = wb.workshops.groups(ws)
    canvas = wb.canvas.definition("restructure")
    _ = translator("en")
    loop = LiveLoop(wb.feed(ws.id))
    boards = {g.id: CanvasBoard(wb, ws, g, canvas, None, _, compact=True) for g in (g1, g2)}
    refreshed = []
    for board in boards.values():
        original = board.refresh

        def spy(board=board, original=original):
            refreshed.append(board.group.id)
            original()

        board.refresh = spy
        loop.subscribe(board.on_changes)

    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, g2.id, "restructure", "causes", "only group 2")
    batch = loop.tick()
    assert len(batch.changes) == 1
    assert refreshed == [g2.id]
    col = column(boards[g2.id], "causes")
    assert [v.card.text for v in col.views.values()] == ["only group 2"]
    assert not loop.tick()  # nothing new: no refresh
    assert refreshed == [g2.id]


def test_board_keeps_a_half_typed_card_when_others_edit(wb):
    ws = wb.workshops.create("Typing", "en", 1)
    group = wb.workshops.groups(ws)[0]
    me = Author(wb.workshops.join(ws.code, group.id, "Me").member)
    board = CanvasBoard(wb, ws, group, wb.canvas.definition("restructure"), me, translator("en"))
    loop = LiveLoop(wb.feed(ws.id))
    loop.subscribe(board.on_changes)
    column(board, "symptoms").add_text.value = "half typed"
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "restructure", "symptoms", "from elsewhere")
    loop.tick()
    assert column(board, "symptoms").add_text.value == "half typed"
    assert [v.card.text for v in column(board, "symptoms").views.values()] == ["from elsewhere"]


def column(board, key):
    return next(c for c in board.columns if c.column.key == key)


def test_query_params():
    assert query_params("code=ABC123&me=t0k&key=") == {"code": "ABC123", "me": "t0k"}
    assert query_params("") == {}


def test_core_never_imports_ipywidgets():
    code = (
        "import sys, actionlab.cli, actionlab.services, actionlab.exporters, actionlab.demo, "
        "actionlab.server; sys.exit('ipywidgets' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_boards_of_a_page_share_one_member_lookup_per_batch(wb):
    from widgets.canvas import MemberNames

    ws = wb.workshops.create("Names", "en", 3)
    groups = wb.workshops.groups(ws)
    canvas = wb.canvas.definition("restructure")
    calls = []
    original = wb.workshops.members
    wb.workshops.members = lambda workshop: calls.append(1) or original(workshop)
    names = MemberNames(wb, ws)
    boards = [CanvasBoard(wb, ws, g, canvas, None, translator("en"), compact=True, names=names)
              for g in groups]
    assert len(calls) == 1  # one lookup for three boards
    loop = LiveLoop(wb.feed(ws.id))
    for board in boards:
        loop.subscribe(board.on_changes)
    joined = wb.workshops.join(ws.code, groups[0].id, "Newcomer")
    wb.canvas.add_card(Author(joined.member), ws, groups[0].id, "restructure", "symptoms", "hi")
    loop.tick()
    assert len(calls) == 2  # reloaded once for the batch, not once per board
    byline = column(boards[0], "symptoms").views
    assert "Newcomer" in next(iter(byline.values())).meta.value


def test_a_fault_in_an_action_tells_the_person_keeps_the_text_and_logs_the_traceback(wb, monkeypatch, caplog):
    ws = wb.workshops.create("Fault", "zh", 1)
    group = wb.workshops.groups(ws)[0]
    me = Author(wb.workshops.join(ws.code, group.id, "Me").member)
    board = CanvasBoard(wb, ws, group, wb.canvas.definition("restructure"), me, translator("zh"))

    def broken(*_args, **_kwargs):
        raise KeyError("a bug, not the person's doing")

    monkeypatch.setattr(wb.canvas, "add_card", broken)
    col = column(board, "symptoms")
    col.add_text.value = "我的想法"
    col.add_button.click()  # the button's handler, as the browser's click runs it
    assert "请再试一次" in board.message.widget.value and 'role="alert"' in board.message.widget.value
    assert "KeyError" not in board.message.widget.value
    assert col.add_text.value == "我的想法"
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


def test_a_page_logs_to_the_kernels_own_stderr_once(capfd):
    import logging

    from widgets.pages import log_to_server

    logger = logging.getLogger("actionlab")
    before = list(logger.handlers)
    try:
        log_to_server()
        log_to_server()
        added = [h for h in logger.handlers if h not in before]
        assert len(added) == 1 and added[0].stream is sys.__stderr__
        logging.getLogger("actionlab.widgets").error("a fault for the server's log")
        assert capfd.readouterr().err.count("a fault for the server's log") == 1
    finally:
        logger.handlers[:] = before
