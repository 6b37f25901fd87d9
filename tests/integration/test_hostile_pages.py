"""Every page built from a workshop whose every text field holds hostile text, without a
browser (issue 7, item 3): each HTML widget of the console (all its tabs), the projector (each
canvas) and the participants' pages holds the typed markup only escaped, and nothing in it
would run. tests/ui/test_hostile_ui.py proves the same in a real browser for what members
type; this covers every field (decisions, lessons, reports, survey answers, the case note …)
at once.
"""

from __future__ import annotations

import ipywidgets as w
import pytest

from actionlab.services.access import hash_secret, new_secret
from tests.integration import test_hostile_exports as exports
from tests.integration.test_hostile_exports import Page, assert_inert
from tests.support.widgettree import all_widgets
from widgets.console import ConsolePage
from widgets.participant import ParticipantPage
from widgets.projector import ProjectorPage

pytestmark = pytest.mark.integration
hostile = exports.hostile  # the same workshop, every text field filled with hostile text


def html_widgets(root) -> list[w.Widget]:
    found = []
    for widget in all_widgets(root):
        if isinstance(widget, (w.HTML, w.HTMLMath)):
            found.append(widget)
        assert not getattr(widget, "description_allow_html", False), widget
    return found


def assert_escaped(root, typed: list[str]) -> int:
    """No typed text with markup appears raw in an HTML widget; nothing in one would run."""
    marked = [t for t in typed if "<" in t or ">" in t]
    boxes = html_widgets(root)
    for box in boxes:
        for text in marked:
            assert text not in box.value, (box._dom_classes, text)
        assert_inert(Page(box.value))
    return len(boxes)


def test_every_page_shows_hostile_text_escaped(hostile):
    wb, ws, typed, _number = hostile
    key = wb.access.issue_facilitator_key()
    console = ConsolePage(wb, {"key": key, "code": ws.code}, wb.settings, "zh")
    assert console.workshop.code == ws.code
    assert assert_escaped(console.widget, typed.every) > 300  # every tab's panels are built

    projector = ProjectorPage(wb, {"key": key, "code": ws.code}, wb.settings, "zh")
    for canvas in ws.canvases:
        projector.show_canvas(canvas)
        assert assert_escaped(projector.widget, typed.every) > 20

    for member in wb.workshops.members(ws)[:4]:  # the leader wrote the cards and reports
        token = new_secret()
        wb.store.update_member("participant", member.id, token_hash=hash_secret(token))
        page = ParticipantPage(wb, {"code": ws.code, "me": token}, wb.settings, "zh")
        assert page.member.id == member.id
        for index in range(len(page.canvases) if page.tabs is not None else 0):
            page.tabs.selected_index = index  # a board is built when its tab is first opened
        assert len(page.boards) == len(page.canvases)
        assert assert_escaped(page.widget, typed.every) > 50
        page.loop.stop()
    for page in (console, projector):
        if page.loop is not None:
            page.loop.stop()
