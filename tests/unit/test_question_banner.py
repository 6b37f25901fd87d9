"""The question banner tells people when only questions are taken, before a statement of theirs
is refused: on the phones of the groups concerned and on the projector."""

from __future__ import annotations

from actionlab.i18n import translator
from widgets.roomview import QuestionBanner
from widgets.roomwatch import RoomWatch


def shows_rule(banner: QuestionBanner) -> bool:
    banner.room.reload()
    banner.refresh()
    return 'class="wb-questions-first-on"' in banner.widget.value


def test_questions_first_is_shown_where_it_applies_and_goes_when_lifted(wb):
    ws = wb.workshops.create("Questions first", "en", 2)
    one, two = wb.workshops.groups(ws)[:2]
    _ = translator("en")
    room = RoomWatch(wb, ws)
    phone_one, phone_two = QuestionBanner(room, _, one.id), QuestionBanner(room, _, two.id)
    top = QuestionBanner(room, _)
    panel_two = QuestionBanner(room, _, two.id, own_only=True)
    banners = (phone_one, phone_two, top, panel_two)
    assert not any(shows_rule(b) for b in banners)

    wb.questions.set_question_first(ws, True)  # the whole room
    assert [shows_rule(b) for b in banners] == [True, True, True, False]  # panel: the top says it
    assert "only questions are taken" in phone_one.widget.value

    wb.questions.set_question_first(ws, False)
    wb.questions.set_question_first(ws, True, two.id)  # one group only
    assert [shows_rule(b) for b in banners] == [False, True, False, True]

    wb.questions.set_question_first(ws, False, two.id)
    assert not any(shows_rule(b) for b in banners)

