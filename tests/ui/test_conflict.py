"""Two members of one group edit the same card at once, each on their own phone.

The first save wins; the second is refused and the second person sees why, both versions
(theirs as text, their own still in the editor) and a choice: keep their own, saved over the
version they were shown, or take the other's. Either way the board then shows the chosen text
once, on both phones.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect  # waits up to 20 s (tests/ui/conftest.py)

from actionlab.services import Workbook
from actionlab.settings import Settings
from tests.ui import room

pytestmark = pytest.mark.ui

HOSTILE = 'Ana: <img src=x onerror="document.body.dataset.pwned=1"> wait times'


def exactly(text: str) -> re.Pattern:
    return re.compile("^" + re.escape(text) + "$")


def only_card(page):
    """The one card of the symptoms column, after checking it is the only one."""
    cards = page.locator(".wb-column-symptoms .wb-card")
    expect(cards).to_have_count(1)
    return cards.first


def start_editing(page, text: str):
    card = only_card(page)
    card.locator(".wb-card-edit").click()
    editor = card.locator(".wb-card-editor textarea")
    expect(editor).to_be_visible()
    editor.fill(text)
    return card


def shows_once(page, text: str) -> None:
    expect(page.locator(".wb-column-symptoms .wb-card-text")).to_have_text([exactly(text)])
    expect(page.locator(".wb-column-symptoms .wb-card-editor")).to_be_hidden()


def test_the_later_save_sees_both_versions_and_chooses(pages, server):
    with Workbook.open(Settings(db_url=server.db_url), upgrade=True) as wb:
        code = wb.workshops.create("Same card", "en", 1, canvases=["restructure"]).code
    ana = room.join(pages, server, code, 0, "Ana Example")
    ben = room.join(pages, server, code, 0, "Ben Sample")
    col = ana.locator(".wb-column-symptoms")
    col.locator(".wb-add-text textarea").fill("Queues at the front desk")
    col.locator(".wb-add-button").click()
    shows_once(ben, "Queues at the front desk")

    # -- both open the card; Ana saves first ------------------------------------------------
    a_card = start_editing(ana, HOSTILE)
    b_card = start_editing(ben, "Ben: queues every morning")
    a_card.locator(".wb-card-save").click()
    shows_once(ana, HOSTILE)
    # Ben's phone shows Ana's version on the card while his own text waits in his editor
    expect(b_card.locator(".wb-card-text")).to_have_text(exactly(HOSTILE))
    expect(b_card.locator(".wb-card-editor textarea")).to_have_value("Ben: queues every morning")

    # -- Ben saves: refused, with both versions and the choice -------------------------------
    b_card.locator(".wb-card-save").click()
    clash = b_card.locator(".wb-conflict")
    expect(clash).to_be_visible()
    expect(clash).to_have_attribute("role", "alert")
    expect(clash.locator(".wb-conflict-note")).to_have_text(
        "Someone else changed this card while you were editing. Their version is shown; "
        "your text is still in the editor.")
    expect(clash.locator(".wb-conflict-text")).to_have_text(exactly(HOSTILE))  # as text
    expect(b_card.locator(".wb-card-editor textarea")).to_have_value("Ben: queues every morning")
    expect(b_card.locator(".wb-card-save")).to_be_hidden()
    expect(b_card.locator(".wb-conflict-keep-mine")).to_have_text("Keep mine")
    expect(b_card.locator(".wb-conflict-use-theirs")).to_have_text("Use theirs")
    pages.shot(ben, "conflict-both-versions")
    for page in (ana, ben):
        expect(page.locator('img[src="x"]')).to_have_count(0)
        assert page.evaluate("document.body.dataset.pwned") is None
    shows_once(ana, HOSTILE)  # nothing was overwritten

    # -- Ben keeps his own, deliberately: both phones show it once ---------------------------
    b_card.locator(".wb-conflict-keep-mine").click()
    expect(b_card.locator(".wb-conflict")).to_be_hidden()
    shows_once(ben, "Ben: queues every morning")
    shows_once(ana, "Ben: queues every morning")

    # -- another round: Ana saves first again, and this time Ben takes hers -------------------
    a_card = start_editing(ana, "Ana: queues at 8 and at 2")
    b_card = start_editing(ben, "Ben: only at 8")
    a_card.locator(".wb-card-save").click()
    shows_once(ana, "Ana: queues at 8 and at 2")
    b_card.locator(".wb-card-save").click()
    expect(b_card.locator(".wb-conflict-text")).to_have_text("Ana: queues at 8 and at 2")
    b_card.locator(".wb-conflict-use-theirs").click()
    shows_once(ben, "Ana: queues at 8 and at 2")
    shows_once(ana, "Ana: queues at 8 and at 2")
    expect(b_card.locator(".wb-card-edit")).to_be_visible()  # the editor closed, the card is back
    with Workbook.open(Settings(db_url=server.db_url)) as wb:
        ws = wb.workshops.get(code)
        assert [c.text for c in wb.canvas.cards(ws)] == ["Ana: queues at 8 and at 2"]
