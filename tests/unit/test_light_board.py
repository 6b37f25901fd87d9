"""A member's board stays light: every widget is a model the page's kernel makes and sends and
the phone builds, so a card makes only what is shown of it until someone asks for more, the
layouts and styles nobody changes are shared, and a card that leaves the board takes its
widgets with it."""

from __future__ import annotations

import ipywidgets as w
import pytest
from ipywidgets.widgets.widget import _instances

from actionlab.i18n import translator
from actionlab.services.canvas import Author
from widgets.canvas import CanvasBoard
from widgets.common import HIDDEN, button, is_shared, is_shown, set_shown, shared, vbox


@pytest.fixture
def board(wb):
    ws = wb.workshops.create("Light", "en", 1)
    group = wb.workshops.groups(ws)[0]
    me = Author(wb.workshops.join(ws.code, group.id, "Ann").member)
    made = CanvasBoard(wb, ws, group, wb.canvas.definition("restructure"), me, translator("en"))
    return wb, ws, group, me, made


def column(board, key):
    return next(c for c in board.columns if c.column.key == key)


def add(wb, ws, group, me, board, n, key="causes"):
    for i in range(n):
        wb.canvas.add_card(me, ws, group.id, "restructure", key, f"card {i}")
    board.refresh()


def test_a_card_builds_its_editor_when_first_edited(board):
    wb, ws, group, me, b = board
    add(wb, ws, group, me, b, 1)
    view = next(iter(column(b, "causes").views.values()))
    assert "form" not in view.__dict__ and "confirming" not in view.__dict__
    assert "why_text" not in view.__dict__  # the causes column asks "why?"
    view.edit.click()
    assert view.mode == "edit" and view.controls.children == (view.editing,)
    assert view.form.text.value == "card 0"
    view.form.text.value = "card 0, better"
    view.save.click()
    assert view.mode == "view" and wb.store.find_card(view.card.id).text == "card 0, better"
    view.why.click()
    assert view.controls.children == (view.why_text, view.why_buttons)
    view.why_buttons.children[1].click()  # Cancel
    view.delete.click()
    assert view.controls.children == (view.confirming,)


def test_a_card_adds_few_widget_models(board):
    """Measured before this was done: about 45 models a card (an editor, six buttons and a
    layout and a style for each); now well under half of that."""
    wb, ws, group, me, b = board
    add(wb, ws, group, me, b, 1)
    before = len(_instances)
    add(wb, ws, group, me, b, 10)
    assert (len(_instances) - before) / 10 <= 16


def test_a_card_that_leaves_closes_its_widgets(board):
    wb, ws, group, me, b = board
    add(wb, ws, group, me, b, 2)
    gone, stays = column(b, "causes").views.values()
    gone.edit.click()  # its editor was built: it goes too
    mine = [x for x in (gone.widget, gone.text, gone.edit, gone.editing, gone.form.text)]
    assert all(x.model_id in _instances for x in mine)
    wb.canvas.delete_card(me, gone.card.id)
    b.refresh()
    assert [x.comm for x in mine] == [None] * len(mine)
    assert stays.widget.comm is not None and stays.text.layout.comm is not None
    assert stays.edit.layout is button("another").layout  # the shared layout is still open
    assert [v.card.text for v in column(b, "causes").views.values()] == [stays.card.text]


def test_a_shared_layout_refuses_to_change():
    layout = shared(w.Layout, width="7.5em")  # one no page uses: this one is spoilt below
    assert shared(w.Layout, width="7.5em") is layout
    with pytest.raises(RuntimeError, match="shared"):
        layout.display = "none"
    layout.close()  # as when the kernel ends: closing is not a change of its look
    assert layout.comm is None
    assert shared(w.Layout, width="7.5em") is not layout  # a closed one is made anew


def tree(widget: w.Widget):
    """``widget`` and every widget under it, with their layouts."""
    yield widget
    layout = getattr(widget, "layout", None)
    if isinstance(layout, w.Widget):
        yield layout
    for child in getattr(widget, "children", ()):
        yield from tree(child)


def test_a_members_page_has_no_layout_of_its_own(wb):
    """Each layout is a model with some forty settings; the member's page had 38 of its own
    (40% of what its kernel sent the phone) before boxes that come and go were hidden by a
    class instead of their layout."""
    from widgets.participant import ParticipantPage

    ws = wb.workshops.create("Light page", "en", 2)
    joined = wb.workshops.join(ws.code, wb.workshops.groups(ws)[0].id, "Ann")
    page = ParticipantPage(wb, {"code": ws.code, "me": joined.token}, wb.settings, "en")
    widgets = list(tree(page.widget))
    assert len(widgets) > 60  # the whole board, not a form
    own = [type(x).__name__ for x in widgets if isinstance(getattr(x, "layout", None), w.Layout)
           and not is_shared(x.layout)]
    assert own == []
    hidden = [x for x in widgets if isinstance(x, w.DOMWidget) and not is_shown(x)]
    assert hidden  # the timer, the ready prompt and the forms of other steps wait hidden
    # no follow-up meeting yet: the group's follow-up panel shows nothing, not an empty frame
    assert page.followup.widget in hidden and page.followup.widget.value == ""
    # the sub-tasks box only under the column that lists sub-tasks (this canvas has none)
    assert not [x for x in widgets if "wb-column-extra" in getattr(x, "_dom_classes", ())]


def test_hiding_a_widget_changes_its_class_not_its_shared_layout():
    box = vbox((), "wb-something")
    layout = box.layout
    set_shown(box, False)
    assert HIDDEN in box._dom_classes and not is_shown(box)
    set_shown(box, False)
    assert box._dom_classes.count(HIDDEN) == 1
    set_shown(box, True)
    assert is_shown(box) and box.layout is layout and layout.display is None


def test_the_action_plan_keeps_its_sub_task_box(wb):
    ws = wb.workshops.create("Plan", "en", 1)
    group = wb.workshops.groups(ws)[0]
    me = Author(wb.workshops.join(ws.code, group.id, "Ann").member)
    plan = CanvasBoard(wb, ws, group, wb.canvas.definition("actions"), me, translator("en"))
    extras = [x for x in tree(plan.widget) if "wb-column-extra" in getattr(x, "_dom_classes", ())]
    assert len(extras) == 1 and "wb-subtasks" in extras[0].value


def test_a_column_is_a_few_widgets_with_its_count_in_the_header(board):
    """A column of an editable board: its header (title, hint and count), its card list and its
    new-card form, whose box ends with the Add button; the count follows the cards."""
    wb, ws, group, me, b = board
    causes = column(b, "causes")
    assert causes.widget.children == (causes.header, causes.list, causes.form.widget)
    assert causes.form.widget.children[-1] is causes.add_button
    assert {"wb-card-form", "wb-add"} <= set(causes.form.widget._dom_classes)
    assert "No cards yet" in causes.header.value and "wb-column-title" in causes.header.value
    causes.add_text.value = "typed in the box"
    causes.add_button.click()
    assert '<span class="wb-count">1</span>' in causes.header.value
    assert [v.card.text for v in causes.views.values()] == ["typed in the box"]


def test_every_widget_reaches_the_phone_with_its_classes(wb, monkeypatch):
    """A widget's ``wb-…`` classes (and ``wb-hidden`` for the parts shown now and then) are
    in the message that makes it on the phone. Added afterwards they were one more message
    each: 113 of the 222 messages a member's phone got when joining."""
    from widgets.participant import ParticipantPage

    updates: list[str] = []
    send = w.Widget._send

    def spy(self, msg, buffers=None):
        if "_dom_classes" in msg.get("state", {}):
            updates.append(f"{type(self).__name__} {self._dom_classes}")
        return send(self, msg, buffers)

    monkeypatch.setattr(w.Widget, "_send", spy)
    ws = wb.workshops.create("Classes", "en", 2)
    group = wb.workshops.groups(ws)[0]
    joined = wb.workshops.join(ws.code, group.id, "Ann")
    page = ParticipantPage(wb, {"code": ws.code, "me": joined.token}, wb.settings, "en")
    widgets = list(tree(page.widget))
    assert any("wb-add-text" in x._dom_classes for x in widgets if isinstance(x, w.Textarea))
    assert [x for x in widgets if isinstance(x, w.DOMWidget) and not is_shown(x)]
    # cards added later come with their classes too
    me = Author(joined.member)
    board = CanvasBoard(wb, ws, group, wb.canvas.definition("restructure"), me, translator("en"))
    add(wb, ws, group, me, board, 2)
    add(wb, ws, group, me, board, 1, key="symptoms")
    assert len([x for x in tree(board.widget) if "wb-card" in getattr(x, "_dom_classes", ())]) == 3
    assert updates == []
    # a change of what a widget shows still reaches the phone
    set_shown(page.widget, False)
    assert updates == [f"VBox {page.widget._dom_classes}"]


def test_a_new_card_reaches_the_phone_drawn(board, monkeypatch):
    """A card's text, details and byline are in the messages that make its widgets, not in
    one more message each to fill them in (two a card before); a card that changes later
    sends what changed."""
    wb, ws, group, me, b = board
    updates: list[tuple[str, tuple]] = []
    send = w.Widget._send

    def spy(self, msg, buffers=None):
        updates.extend((cls, tuple(msg.get("state", {}))) for cls in self._dom_classes)
        return send(self, msg, buffers)

    monkeypatch.setattr(w.Widget, "_send", spy)
    add(wb, ws, group, me, b, 3)
    card_parts = ("wb-card", "wb-card-text", "wb-card-details", "wb-card-meta")
    assert [u for u in updates if u[0] in card_parts] == []
    view = next(iter(column(b, "causes").views.values()))
    assert "card 0" in view.text.value and "Ann" in view.meta.value
    wb.canvas.edit_card(me, view.card.id, "card 0, better")
    b.refresh()
    assert ("wb-card-text", ("value",)) in updates and "better" in view.text.value
