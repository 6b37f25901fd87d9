"""Follow-up across meetings: templates drive the agenda and the timer, progress reports
update action statuses, reviews roll up, lessons are filed by stage, decisions."""

from __future__ import annotations

from datetime import date

import pytest

from actionlab.errors import InvalidInput
from actionlab.i18n import translator
from actionlab.services.canvas import Author
from actionlab.services.reflection import same_together, summarise
from actionlab.services.roomstate import room_state


@pytest.fixture
def prog(wb):
    ws = wb.workshops.create("Follow-up", "en", 2, canvases=["strategy", "actions"])
    g1, g2 = wb.workshops.groups(ws)
    ann = wb.workshops.join(ws.code, g1.id, "Ann").member
    ben = wb.workshops.join(ws.code, g1.id, "Ben").member
    cy = wb.workshops.join(ws.code, g2.id, "Cy").member
    boss = Author()

    def action(text, owner, due, status="not_started", group=g1):
        return wb.canvas.add_card(boss, ws, group.id, "actions", "actions", text,
                                  fields={"owner": owner.id, "due": due, "measure": "m",
                                          "status": status})

    a1 = action("Merge the checklists", ann, "2027-01-15")
    a2 = action("Write the procedure", ann, "2027-03-01", "in_progress")
    b1 = action("Analyse ticket data", ben, "2027-01-31")
    c1 = action("Survey the residents", cy, "2027-02-01", group=g2)
    return ws, (g1, g2), (ann, ben, cy), (a1, a2, b1, c1)


def test_a_template_gives_the_meeting_its_agenda_and_each_step_its_time_box(wb, prog):
    ws = prog[0]
    meeting = wb.meetings.add(ws, kind="group_followup")
    assert meeting.title == "Group follow-up meeting"
    kinds = [s["kind"] for s in meeting.agenda]
    assert kinds == ["rules", "tracking", "progress", "discussion", "canvas", "review"]
    ws = wb.meetings.start(ws, meeting.id)
    assert room_state(ws).timer.seconds == 5 * 60  # the rules: 5 minutes
    ws = wb.room.go(ws, 2)  # progress reports: 60 minutes
    assert room_state(ws).timer.seconds == 60 * 60
    # a canvas the workshop does not use is left out of the agenda
    other = wb.workshops.create("Bare", "en", 1, canvases=["restructure"])
    assert "canvas" not in [s["kind"] for s in wb.meetings.add(other, kind="group_followup").agenda]
    first = wb.meetings.add(other, kind="first_workshop")
    assert [s["canvas"] for s in first.agenda if s["kind"] == "canvas"] == ["restructure"]


def test_a_progress_report_updates_the_members_action_statuses_with_history(wb, prog):
    ws, _groups, (ann, ben, _cy), (a1, a2, b1, _c1) = prog
    with pytest.raises(InvalidInput):  # no meeting yet
        wb.progress.report(ws, ann, done="merged")
    meeting = wb.meetings.add(ws, kind="group_followup")
    ws = wb.meetings.start(ws, meeting.id)
    with pytest.raises(InvalidInput):  # someone else's action
        wb.progress.report(ws, ann, done="x", statuses={b1.id: "done"})
    with pytest.raises(InvalidInput):  # nothing said
        wb.progress.report(ws, ann, done="  ")
    assert wb.progress.reports(ws, meeting.id) == []  # refused reports leave nothing
    wb.progress.report(ws, ann, done="Merged the lists", problems="One section is late",
                       help="A word from the convener", statuses={a1.id: "done", a2.id: "blocked"},
                       notes={a2.id: "waiting for legal"})
    assert wb.store.find_card(a1.id).fields["status"] == "done"
    history = [(u.before, u.status) for u in wb.progress.history(ws, a2.id)]
    assert history == [(None, "in_progress"), ("in_progress", "blocked")]
    assert wb.progress.history(ws, a2.id)[-1].note == "waiting for legal"
    # a second report replaces the first one
    wb.progress.report(ws, ann, done="Merged the lists and sent them round")
    reports = wb.progress.reports(ws, meeting.id)
    assert len(reports) == 1 and reports[0].done.endswith("sent them round")
    assert wb.progress.my_report(ws, ann).help == ""


def test_open_and_overdue_actions(wb, prog):
    ws, (g1, g2), (ann, _ben, _cy), (a1, a2, b1, c1) = prog
    wb.canvas.edit_card(Author(), a1.id, a1.text, fields={**a1.fields, "status": "done"})
    today = date(2027, 2, 10)
    open_ids = [r.card.id for r in wb.progress.open_actions(ws, g1.id, today=today)]
    assert open_ids == [b1.id, a2.id]  # overdue first; the done one is gone
    assert [r.card.id for r in wb.progress.overdue(ws, today=today)] == [b1.id, c1.id]
    mine = [r.card.id for r in wb.progress.my_actions(ws, ann)]
    assert mine == [a1.id, a2.id]


def test_reviews_roll_up_per_meeting_and_lessons_are_filed_by_stage(wb, prog):
    ws, (g1, g2), (ann, ben, cy), _ = prog
    meeting = wb.meetings.add(ws, kind="group_followup")
    ws = wb.meetings.start(ws, meeting.id)
    with pytest.raises(InvalidInput):
        wb.reflection.reflect(ws, ann, quality=6, own_part=3, improvement="x")
    with pytest.raises(InvalidInput):
        wb.reflection.reflect(ws, ann, quality=4, own_part=3, improvement="")
    wb.reflection.reflect(ws, ann, quality=4, own_part=3, improvement="Start on time",
                          lesson="Bring the data to the meeting")
    wb.reflection.reflect(ws, ben, quality=5, own_part=4, improvement="Fewer slides")
    wb.reflection.reflect(ws, cy, quality=2, own_part=2, improvement="Clearer agenda")
    wb.reflection.reflect(ws, ann, quality=5, own_part=3, improvement="Start on time")  # replaces
    summary = wb.reflection.summary(ws, meeting.id)
    assert summary.count == 3 and summary.quality == 4.0 and summary.own_part == 3.0
    assert summary.by_group[g1.id] == (2, 5.0, 3.5) and summary.by_group[g2.id] == (1, 2.0, 2.0)
    lessons = wb.reflection.lessons(ws)
    assert [(x.stage, x.text, x.group_id) for x in lessons] == [
        ("learning", "Bring the data to the meeting", g1.id)]
    wb.reflection.add_lesson(ws, "tracking", "Check the due dates every month", group_id=g2.id)
    with pytest.raises(InvalidInput):
        wb.reflection.add_lesson(ws, "nowhere", "x")
    with pytest.raises(InvalidInput):
        wb.reflection.add_lesson(ws, "learning", "x", group_id=g2.id, member=ann)
    assert [x.text for x in wb.reflection.lessons(ws, stage="tracking")] == [
        "Check the due dates every month"]
    assert summarise([]).quality is None


def test_a_decision_needs_an_outcome_and_reasons_and_adopted_groups_move_to_tracking(wb, prog):
    ws, (g1, g2), _members, _ = prog
    wb.canvas.add_card(Author(), ws, g1.id, "strategy", "options", "A checklist team")
    assert wb.decisions.proposal(ws, g1.id) == "A checklist team"
    meeting = wb.meetings.add(ws, kind="decision")
    ws = wb.meetings.start(ws, meeting.id)
    with pytest.raises(InvalidInput):
        wb.decisions.decide(ws, g1.id, "maybe", proposal="p", reasons="r")
    with pytest.raises(InvalidInput):
        wb.decisions.decide(ws, g1.id, "adopt", proposal="p", reasons=" ")
    wb.decisions.decide(ws, g1.id, "adopt", proposal="A checklist team", reasons="Cheap, quick",
                        conditions="Report in three months")
    wb.decisions.decide(ws, g2.id, "revise", proposal="A new booking system", reasons="Too costly")
    assert wb.decisions.adopted_groups(ws) == {g1.id}
    wb.decisions.decide(ws, g2.id, "adopt", proposal="A smaller booking pilot", reasons="Affordable")
    assert wb.decisions.adopted_groups(ws) == {g1.id, g2.id}
    assert [d.meeting_id for d in wb.decisions.decisions(ws)] == [meeting.id] * 3


def test_the_demo_is_several_months_into_its_programme(wb):
    from actionlab.demo import create_demo

    ws = create_demo(wb, "en")
    meetings = wb.meetings.meetings(ws)
    held = [m for m in meetings if m.ended_at is not None]
    assert {m.kind for m in held} >= {"kickoff", "first_workshop", "group_followup",
                                       "whole_class", "decision"}
    assert (held[-1].held_on - held[0].held_on).days >= 90  # months, not one afternoon
    assert meetings[-1].started_at is None  # the next meeting is scheduled, not held
    assert all(wb.progress.reports(ws, m.id) for m in held if m.kind == "group_followup")
    assert all(wb.reflection.summary(ws, m.id).count for m in held if m.kind != "kickoff")
    assert {d.outcome for d in wb.decisions.decisions(ws)} == {"adopt", "revise"}
    assert wb.progress.overdue(ws) and wb.progress.open_actions(ws)
    history = wb.store.find_action_updates(ws.id)
    assert len({u.at.date() for u in history}) >= 4  # statuses changed over several meetings
    assert {x.stage for x in wb.reflection.lessons(ws)} == {"topic", "learning", "decision",
                                                            "tracking"}
    stages = {s.key: s.status for s in wb.programme.view(ws)}
    assert stages["tracking"] == "current" and stages["consolidation"] == "upcoming"
    results = wb.surveys.results(ws, "satisfaction")
    assert results.respondents == len(wb.workshops.members(ws))
    assert results.flagged  # one group far below the overall share
    rows = wb.assessment.table(ws)
    assert rows and all(r.complete for r in rows)


def test_the_rules_come_down_when_the_room_moves_past_the_rules_step(wb, prog):
    ws = prog[0]
    meeting = wb.meetings.add(ws, kind="group_followup")
    ws = wb.meetings.start(ws, meeting.id)
    assert room_state(ws).rules
    ws = wb.room.move(ws, 1)
    assert not room_state(ws).rules
    ws = wb.room.show_rules(ws, True)  # the facilitator may still put them up by hand
    assert room_state(ws).rules
    assert room_state(wb.room.go(ws, 0)).rules  # back at the rules step: up again


def test_the_same_suggestion_is_shown_once_with_how_many_gave_it(wb, prog):
    assert same_together(["Start on time", "shorter reports", "Start on time.", "start  on TIME",
                          "Shorter reports", "  ", "准时开始", "准时开始。"]) == [
        ("Start on time", 3), ("shorter reports", 2), ("准时开始", 2)]
    assert same_together([]) == []

    from widgets.followpanel import FollowupPanel
    from widgets.roomwatch import RoomWatch

    ws, (g1, _g2), (ann, ben, cy), _ = prog
    meeting = wb.meetings.add(ws, kind="group_followup")
    ws = wb.meetings.start(ws, meeting.id)
    for member, idea in ((ann, "Start on time"), (ben, "Fewer <b>slides</b>"), (cy, "start on time")):
        wb.reflection.reflect(ws, member, quality=4, own_part=3, improvement=idea)
    names = {m.id: m.name for m in (ann, ben, cy)}
    panel = FollowupPanel(wb, RoomWatch(wb, ws), names.get, translator("en"))
    panel.refresh()
    panel.meeting.value = meeting.id
    html = panel.reviews.value
    ideas = html[html.index('<ul class="wb-review-ideas">'):]
    assert ideas.count("<li>") == 2
    assert '<li>Start on time <span class="wb-review-idea-count">×2</span></li>' in ideas
    assert "<li>Fewer &lt;b&gt;slides&lt;/b&gt;</li>" in ideas
    assert f'<div class="wb-review-group">{g1.name}: Reviews: 2 · meeting 4' in html
