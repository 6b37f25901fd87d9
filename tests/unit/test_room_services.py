"""Running the room: steps and modes, the write gate, timers and readiness, the speaking
round and its records, questions and question-first mode, meetings, attendance, entry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from actionlab.errors import InvalidInput
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author
from actionlab.services.room import is_question
from actionlab.services.roomstate import Countdown, clock, room_state

CANVASES = ["restructure", "goals"]
T0 = datetime(2026, 11, 21, 9, 0, 0)


@pytest.fixture
def room(wb):
    ws = wb.workshops.create("Room", "en", 2, canvases=CANVASES)
    g1, g2 = wb.workshops.groups(ws)
    ann = wb.workshops.join(ws.code, g1.id, "Ann").member
    ben = wb.workshops.join(ws.code, g1.id, "Ben").member
    dee = wb.workshops.join(ws.code, g2.id, "Dee").member
    return ws, g1, g2, ann, ben, dee


def msg(info) -> str:
    return info.value.message_id


def actions(wb, ws) -> list[str]:
    return [c.action for c in wb.store.find_changes(workshop_id=ws.id)]


# -- countdown arithmetic -------------------------------------------------------------------


def test_a_countdown_runs_pauses_extends_and_goes_into_overtime():
    t = Countdown().start(T0, 300)
    assert t.running and t.remaining(T0 + timedelta(seconds=100)) == 200
    paused = t.pause(T0 + timedelta(seconds=100))
    assert not paused.running and paused.remaining(T0 + timedelta(hours=1)) == 200
    resumed = paused.start(T0 + timedelta(seconds=500))
    assert resumed.remaining(T0 + timedelta(seconds=550)) == 150
    longer = resumed.extend(T0 + timedelta(seconds=550), 60)
    assert longer.seconds == 360 and longer.remaining(T0 + timedelta(seconds=550)) == 210
    assert longer.remaining(T0 + timedelta(seconds=800)) == -40  # overtime shows below zero
    late = longer.extend(T0 + timedelta(seconds=800), 120)  # past zero: 2 minutes from now
    assert late.remaining(T0 + timedelta(seconds=800)) == 120
    assert Countdown.from_dict(late.to_dict()) == late
    assert clock(61) == "1:01" and clock(0.2) == "0:01" and clock(0) == "0:00" and clock(-5) == "-0:05"


# -- steps and modes ------------------------------------------------------------------------


def test_steps_follow_the_agenda_for_all_groups_or_one(wb, room):
    ws, g1, g2, *_ = room
    steps = wb.room.steps(ws)
    assert [s.kind for s in steps] == ["rules", "canvas", "canvas", "review"]
    ws = wb.room.go(ws, 1)
    state = room_state(ws)
    assert state.step_of(g1.id) == state.step_of(g2.id) == 1
    assert state.timer.seconds == steps[1].minutes * 60 and not state.timer.running
    ws = wb.room.move(ws, 1, group_id=g2.id)
    assert room_state(ws).step_of(g2.id) == 2 and room_state(ws).step_of(g1.id) == 1
    ws = wb.room.move(ws, 5)  # stays on the last step
    assert room_state(ws).step_of(g1.id) == 3 and room_state(ws).step_of(g2.id) == 3
    with pytest.raises(InvalidInput) as info:
        wb.room.go(ws, 9)
    assert msg(info) == "There is no such step."
    assert actions(wb, ws).count("room.step") == 3


def test_locked_and_hidden_steps_refuse_participants_but_not_the_facilitator(wb, room):
    ws, g1, _g2, ann, *_ = room
    card = wb.canvas.add_card(Author(ann), ws, g1.id, "restructure", "symptoms", "Queues")
    wb.room.set_mode(ws, "restructure", "locked")
    for attempt in (
        lambda: wb.canvas.add_card(Author(ann), ws, g1.id, "restructure", "symptoms", "More"),
        lambda: wb.canvas.edit_card(Author(ann), card.id, "Changed"),
        lambda: wb.canvas.delete_card(Author(ann), card.id),
        lambda: wb.voting.vote(Author(ann), wb.canvas.add_card(
            FACILITATOR_AUTHOR, ws, g1.id, "restructure", "restatements", "R").id),
    ):
        with pytest.raises(InvalidInput) as info:
            attempt()
        assert "locked" in msg(info)
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, g1.id, "restructure", "symptoms", "By the facilitator")
    wb.room.set_mode(ws, "restructure", "hidden")
    with pytest.raises(InvalidInput) as info:
        wb.canvas.add_card(Author(ann), ws, g1.id, "restructure", "symptoms", "More")
    assert msg(info) == "This step is not open yet."
    wb.room.set_mode(ws, "restructure", "open")
    wb.canvas.add_card(Author(ann), ws, g1.id, "restructure", "symptoms", "Open again")
    with pytest.raises(InvalidInput):
        wb.room.set_mode(ws, "restructure", "sideways")


def test_private_writing_shows_only_ones_own_cards_until_the_reveal(wb, room):
    ws, g1, _g2, ann, ben, _dee = room
    ws = wb.room.set_mode(ws, "goals", "private")
    wb.canvas.add_card(Author(ann), ws, g1.id, "goals", "goals", "Ann's goal")
    wb.canvas.add_card(Author(ben), ws, g1.id, "goals", "goals", "Ben's goal")
    ws = wb.workshops.get(ws.code)
    cards = wb.canvas.cards(ws, g1.id, "goals")
    assert [c.text for c in wb.canvas.visible(ws, cards, Author(ann))] == ["Ann's goal"]
    assert wb.canvas.visible(ws, cards, None) == []  # the projector shows nobody's yet
    ws = wb.room.reveal(ws, "goals")
    assert len(wb.canvas.visible(ws, cards, Author(ann))) == 2
    assert len(wb.canvas.visible(ws, cards, None)) == 2
    with pytest.raises(InvalidInput):
        wb.room.reveal(ws, "goals")  # nothing private any more
    assert "room.reveal" in actions(wb, ws)


# -- timer and readiness ----------------------------------------------------------------------


def test_the_timer_starts_pauses_extends_and_resets(wb, room):
    ws = room[0]
    ws = wb.timer.start(ws, 600)
    assert room_state(ws).timer.running and room_state(ws).timer.seconds == 600
    ws = wb.timer.toggle(ws)
    assert not room_state(ws).timer.running
    left = room_state(ws).timer.left
    ws = wb.timer.extend(ws, 120)
    assert room_state(ws).timer.left == pytest.approx(left + 120)
    ws = wb.timer.toggle(ws)
    assert room_state(ws).timer.running
    ws = wb.timer.reset(ws, 300)
    assert not room_state(ws).timer.running and room_state(ws).timer.left == 300
    with pytest.raises(InvalidInput):
        wb.timer.start(ws, 0)
    log = actions(wb, ws)
    for action in ("timer.start", "timer.pause", "timer.extend", "timer.reset"):
        assert action in log


def test_readiness_answers_are_counted_per_group_and_close_with_the_prompt(wb, room):
    ws, g1, g2, ann, ben, dee = room
    with pytest.raises(InvalidInput):
        wb.timer.answer(ws, ann, "ready")  # nothing asked yet
    ws = wb.timer.ask_ready(ws)
    wb.timer.answer(ws, ann, "ready")
    wb.timer.answer(ws, ben, "more")
    wb.timer.answer(ws, ben, "ready")  # changed their mind: one answer each
    wb.timer.answer(ws, dee, "more")
    counts = wb.timer.counts(wb.workshops.get(ws.code))
    assert counts.by_group[g1.id]["ready"] == 2 and counts.by_group[g1.id]["more"] == 0
    assert counts.by_group[g2.id]["more"] == 1 and counts.total("ready") == 2
    ws = wb.timer.ask_ready(ws, group_id=g2.id)  # a new prompt for group 2 only
    assert room_state(ws).prompt_for(g1.id) is None and room_state(ws).prompt_for(g2.id) == 2
    assert wb.timer.counts(ws).total("ready") == 0
    ws = wb.timer.close_prompt(ws)
    with pytest.raises(InvalidInput) as info:
        wb.timer.answer(ws, dee, "ready")
    assert msg(info) == "The facilitator has closed the question."


# -- equal-time round-robin -------------------------------------------------------------------


def test_the_speaking_round_records_every_turn_and_every_skip(wb, room):
    ws, g1, _g2, ann, ben, _dee = room
    wb.room.store.update_member("facilitator", ben.id, role="group_leader")
    leader = Author(wb.store.find_member(ben.id))
    with pytest.raises(InvalidInput) as info:
        wb.speaking.setup(Author(ann), ws, g1.id, 60)
    assert "group leader" in msg(info)
    cy = wb.workshops.join(ws.code, g1.id, "Cy").member
    ws = wb.speaking.setup(leader, ws, g1.id, 60, order=[ann.id, ben.id, cy.id])
    queue = room_state(ws).queue(g1.id)
    assert queue.current == ann.id and queue.upcoming == (ben.id, cy.id)
    with pytest.raises(InvalidInput):
        wb.speaking.setup(leader, ws, g1.id, 60)  # a round is still going
    ws = wb.speaking.start_turn(leader, ws, g1.id)
    assert room_state(ws).queue(g1.id).turn.running
    ws = wb.speaking.next(leader, ws, g1.id)  # Ann spoke
    ws = wb.speaking.next(FACILITATOR_AUTHOR, ws, g1.id, reason="passed")  # Ben passes
    ws = wb.speaking.end(leader, ws, g1.id)  # Cy never got a turn: recorded
    assert room_state(ws).queue(g1.id) is None
    turns = wb.store.find_turns(ws.id)
    assert [(t.member_name, t.skipped, t.reason) for t in turns] == [
        ("Ann", False, None), ("Ben", True, "passed"), ("Cy", True, "round_ended")]
    assert turns[0].allotted == 60 and 0 <= turns[0].spoken <= 60
    airtime = {a.name: a for a in wb.speaking.airtime(ws, g1.id)}
    assert airtime["Ann"].turns == 1 and airtime["Ben"].skipped == 1 and airtime["Cy"].skipped == 1
    assert {"round.setup", "round.start", "round.next", "round.end"} <= set(actions(wb, ws))


def test_a_round_needs_the_groups_own_members(wb, room):
    ws, g1, _g2, ann, _ben, dee = room
    with pytest.raises(InvalidInput):
        wb.speaking.setup(FACILITATOR_AUTHOR, ws, g1.id, 60, order=[ann.id, dee.id])
    with pytest.raises(InvalidInput):
        wb.speaking.setup(FACILITATOR_AUTHOR, ws, g1.id, 5)
    with pytest.raises(InvalidInput):
        wb.speaking.next(FACILITATOR_AUTHOR, ws, g1.id)  # no round set up


# -- questions ---------------------------------------------------------------------------------


def test_questions_are_pushed_to_a_group_or_the_room_and_logged(wb, room):
    ws, g1, g2, *_ = room
    by_purpose = {p: wb.questions.library_questions(p) for p in ("clarify", "team", "apply")}
    assert all(len(qs) >= 3 for qs in by_purpose.values())
    key = by_purpose["clarify"][0].key
    ws = wb.questions.push(ws, key=key, group_id=g1.id)
    state = room_state(ws)
    assert state.question_for(g1.id).text == by_purpose["clarify"][0].title("en")
    assert state.question_for(g2.id) is None
    ws = wb.questions.push(ws, text="  What would the customer say? ")
    assert room_state(ws).question_for(g1.id).text == "What would the customer say?"
    assert room_state(ws).question_for(g2.id).text == "What would the customer say?"
    ws = wb.questions.clear(ws)
    assert room_state(ws).question_for(g1.id) is None
    log = wb.questions.log(ws)
    assert [(q.group_id, q.purpose) for q in log] == [(g1.id, "clarify"), (None, None)]
    with pytest.raises(InvalidInput):
        wb.questions.push(ws, text="   ")


def test_question_first_mode_takes_only_questions_until_statements_open(wb, room):
    ws, g1, g2, ann, _ben, dee = room
    wb.questions.set_question_first(ws, True)
    with pytest.raises(InvalidInput) as info:
        wb.canvas.add_card(Author(ann), ws, g1.id, "restructure", "symptoms", "Queues are long.")
    assert "Questions first" in msg(info)
    wb.canvas.add_card(Author(ann), ws, g1.id, "restructure", "symptoms", "Why are queues long?")
    wb.canvas.add_card(Author(ann), ws, g1.id, "restructure", "symptoms", "为什么排队这么久？")
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, g1.id, "restructure", "symptoms", "A statement.")
    wb.questions.set_question_first(ws, False, group_id=g2.id)  # statements open in group 2
    wb.canvas.add_card(Author(dee), ws, g2.id, "restructure", "symptoms", "Queues are long.")
    assert is_question("是这样吗") and is_question("Really?") and not is_question("Yes.")


# -- meetings, attendance, presence, entry ------------------------------------------------------


def test_starting_a_meeting_shows_the_rules_and_attendance_is_taken(wb, room):
    ws, g1, _g2, ann, ben, dee = room
    with pytest.raises(InvalidInput):
        wb.meetings.mark(ws, ann.id, "present")  # no meeting yet
    meeting = wb.meetings.add(ws, "First workshop")
    ws = wb.meetings.start(ws, meeting.id)
    state = room_state(ws)
    assert state.rules and state.meeting_id == meeting.id and state.step_all == 0
    assert wb.meetings.current(ws).started_at is not None
    wb.meetings.heartbeat(ws, ann)  # Ann's page is open: present
    wb.meetings.mark(ws, ben.id, "excused")
    wb.meetings.heartbeat(ws, ben)  # an open page never overrides the facilitator's mark
    rows = {r.member.name: r for r in wb.meetings.attendance(ws, meeting)}
    assert rows["Ann"].status == "present" and rows["Ann"].connected
    assert rows["Ben"].status == "excused" and rows["Dee"].status is None
    assert not rows["Dee"].connected
    wb.store.touch_member(dee.id)
    assert wb.meetings.mark_connected_present(ws) == 1
    ws = wb.meetings.end(ws)
    assert room_state(ws).meeting_id is None and wb.store.find_meeting(meeting.id).ended_at


def test_a_locked_entry_turns_new_people_away_but_not_returning_ones(wb, room):
    ws, g1, _g2, _ann, _ben, _dee = room
    joined = wb.workshops.join(ws.code, g1.id, "Eve")
    wb.room.lock_entry(ws, True)
    with pytest.raises(InvalidInput) as info:
        wb.workshops.join(ws.code, g1.id, "Fay")
    assert "closed entry" in msg(info)
    assert wb.workshops.resume(ws.code, joined.token).name == "Eve"
    wb.room.lock_entry(ws, False)
    wb.workshops.join(ws.code, g1.id, "Fay")
