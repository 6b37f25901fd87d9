"""Typing writes nothing: boxes that send their text to the kernel keystroke by keystroke save
it only when the person presses a button; boxes that save as soon as they change send their
text once, when the person leaves them. Forty people typing never become forty writers per
keystroke.
"""

from __future__ import annotations

import ipywidgets as w
import pytest

from actionlab.demo import create_demo
from actionlab.services.access import hash_secret, new_secret
from tests.support.widgettree import all_widgets
from widgets.console import ConsolePage
from widgets.participant import ParticipantPage
from widgets.projector import ProjectorPage

pytestmark = pytest.mark.slow  # builds every page of the demo workshop (a few seconds)


def typing_boxes(root) -> list[w.Widget]:
    return [b for b in all_widgets(root)
            if isinstance(b, w.Text | w.Textarea) and b.continuous_update]


def classes(boxes) -> set[str]:
    return {c for box in boxes for c in box._dom_classes if c.startswith("wb-")}


def test_boxes_that_follow_typing_save_nothing_until_asked(wb):
    """Every box of every page that hears each keystroke (cards being typed, names, questions…)
    is typed into, keystroke by keystroke: the store gets no write. The boxes whose change
    saves at once (scores, the minutes' facilitator) hear the text only when it is finished."""
    ws = create_demo(wb, "en")
    key = wb.access.issue_facilitator_key()
    console = ConsolePage(wb, {"key": key, "code": ws.code}, wb.settings, "en")
    projector = ProjectorPage(wb, {"key": key, "code": ws.code}, wb.settings, "en")
    member = wb.workshops.members(ws)[0]
    token = new_secret()
    wb.store.update_member("participant", member.id, token_hash=hash_secret(token))
    board = ParticipantPage(wb, {"code": ws.code, "me": token}, wb.settings, "en")
    joining = ParticipantPage(wb, {"code": ws.code}, wb.settings, "en")
    pages = [console, projector, board, joining]
    roots = [p.widget for p in pages]
    for canvas in ws.canvases[1:]:
        projector.show_canvas(canvas)
        roots.append(projector.widget)
    boxes = {id(b): b for root in roots for b in typing_boxes(root)}.values()
    assert {"wb-join-name", "wb-add-text"} <= classes(boxes)  # the test sees the usual suspects
    before = wb.store.find_latest_revision()
    typed = 0
    for box in boxes:
        for n in range(1, 8):
            box.value = "Someone"[:n]  # keystroke by keystroke, as the browser sends them
            typed += 1
    assert typed > 50
    assert wb.store.find_latest_revision() == before
    # and the boxes that save when changed hear the text only once it is finished
    savers = [b for b in all_widgets(console.widget)
              if {"wb-export-facilitator", "wb-assess-score"} & set(b._dom_classes)]
    assert len(savers) > 1
    assert not any(b.continuous_update for b in savers)
    for page in pages:
        if getattr(page, "loop", None) is not None:
            page.loop.stop()
