"""Two people editing one card, without a browser: the later save never overwrites silently;
the editor shows both versions and the person chooses."""

from __future__ import annotations

import pytest

from actionlab.i18n import translator
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author
from widgets.canvas import CanvasBoard

HOSTILE = '<img src=x onerror="pwned=1">'


@pytest.fixture
def pair(wb):
    """Ann's and Ben's boards (same group) and a card of Ann's both have open for editing."""
    ws = wb.workshops.create("Clash", "en", 1)
    group = wb.workshops.groups(ws)[0]
    ann, ben = (Author(wb.workshops.join(ws.code, group.id, n).member) for n in ("Ann", "Ben"))
    card = wb.canvas.add_card(ann, ws, group.id, "restructure", "symptoms", "first words")
    boards = [CanvasBoard(wb, ws, group, wb.canvas.definition("restructure"), who,
                          translator("en")) for who in (ann, ben)]
    views = [view_of(b, card.id) for b in boards]
    for view in views:
        view.edit.click()
        assert view.mode == "edit"
    return wb, ws, group, card, boards, views


def view_of(board, card_id):
    return next(c for c in board.columns if c.column.key == "symptoms").views[card_id]


def save(view, text):
    view.form.text.value = text
    view.save.click()


def test_the_later_save_shows_both_versions_and_overwrites_nothing(pair):
    wb, _ws, _g, card, _boards, (ann, ben) = pair
    save(ann, HOSTILE)
    assert ann.mode == "view"
    save(ben, "Ben's words")
    assert wb.store.find_card(card.id).text == HOSTILE
    assert ben.mode == "conflict"
    shown = ben.conflict.box.value
    assert "Someone else changed this card while you were editing" in shown
    assert "&lt;img src=x onerror=&quot;pwned=1&quot;&gt;" in shown and "<img" not in shown
    assert ben.form.text.value == "Ben's words"  # his own text stays in the editor
    assert ben.editing.children[-1] is ben.conflict.choices  # choices instead of Save/Cancel
    assert "&lt;img" in ben.text.value  # the card on his board shows their version


def test_keep_mine_saves_over_the_version_shown(pair):
    wb, _ws, _g, card, _boards, (ann, ben) = pair
    save(ann, "Ann's words")
    save(ben, "Ben's words")
    ben.form.text.value = "Ben's words, after reading Ann's"
    ben.conflict.choices.children[0].click()  # Keep mine
    assert wb.store.find_card(card.id).text == "Ben's words, after reading Ann's"
    assert ben.mode == "view" and ben.editing.children[-1] is ben.edit_buttons


def test_keep_mine_over_a_version_not_seen_is_a_new_clash(pair):
    wb, _ws, _g, card, _boards, (ann, ben) = pair
    save(ann, "Ann's words")
    save(ben, "Ben's words")
    wb.canvas.edit_card(FACILITATOR_AUTHOR, card.id, "The facilitator's words",
                        base=wb.store.find_card(card.id))
    ben.conflict.choices.children[0].click()  # Keep mine, over Ann's: but that is gone
    assert wb.store.find_card(card.id).text == "The facilitator's words"
    assert ben.mode == "conflict" and "The facilitator&#x27;s words" in ben.conflict.box.value


def test_use_theirs_drops_mine_and_closes_the_editor(pair):
    wb, ws, _g, card, _boards, (ann, ben) = pair
    save(ann, "Ann's words")
    save(ben, "Ben's words")
    ben.conflict.choices.children[1].click()  # Use theirs
    assert wb.store.find_card(card.id).text == "Ann's words"
    assert ben.mode == "view"
    assert [c.text for c in wb.canvas.cards(ws)] == ["Ann's words"]
    ben.edit.click()  # a new edit starts from their version, without the old clash
    assert ben.form.text.value == "Ann's words" and ben.editing.children[0] is not ben.conflict.box


def test_text_typed_into_a_card_deleted_meanwhile_moves_to_the_new_card_box(pair):
    _wb, _ws, _g, card, (_a, ben_board), (ann, ben) = pair
    ann.delete.click()
    ann.confirm.click()
    save(ben, "Ben's words")
    column = next(c for c in ben_board.columns if c.column.key == "symptoms")
    assert card.id not in column.views
    assert column.add_text.value == "Ben's words"
    assert "Your text is in the box for a new card" in ben_board.message.widget.value
