"""The six-stage programme view and traceability: dates, status and what each stage produced
are read from what happened; the facilitator's overrides; the chain from the key problem to
the lessons with nothing hidden; and the console panels that show both."""

from __future__ import annotations

from datetime import date, timedelta

import ipywidgets as w
import pytest

from actionlab.errors import InvalidInput
from actionlab.i18n import translator
from actionlab.services.canvas import FACILITATOR_AUTHOR
from actionlab.services.programme import ProgrammeService, local_day
from actionlab.services.trace import TraceService
from tests.unit.programme_data import HOSTILE, T0, build_programme, install_clock
from widgets.programme import ProgrammePanel
from widgets.roomwatch import RoomWatch
from widgets.trace import TracePanel

TODAY = date(2027, 3, 20)


def day(n: int) -> date:
    return local_day(T0 + timedelta(days=n))


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


@pytest.fixture
def built(wb, clock):
    return build_programme(wb, clock, "en")


@pytest.fixture
def programme(wb) -> ProgrammeService:
    return ProgrammeService(wb.store, wb.library)


@pytest.fixture
def trace(wb) -> TraceService:
    return TraceService(wb.store, wb.library)


def by_key(stages):
    return {s.key: s for s in stages}


# -- the programme view ----------------------------------------------------------------------

def test_each_stage_is_dated_by_what_happened_in_it(programme, built):
    stages = programme.view(built.ws, today=TODAY)
    assert [s.key for s in stages] == ["topic", "teams", "learning", "decision", "tracking",
                                       "consolidation"]
    assert [s.number for s in stages] == [1, 2, 3, 4, 5, 6]
    assert [(s.start, s.end) for s in stages] == [
        (day(0), day(0)),  # topic cards
        (day(3), day(4)),  # members joining
        (day(7), day(40)),  # kickoff, follow-up, a meeting of an unknown kind, canvas work
        (day(50), day(50)),  # the decision meeting and its decisions
        (day(60), day(60)),  # a status change after the adoption (not the one before it)
        (day(70), day(70)),  # a lesson filed under consolidation
    ]
    assert [s.status for s in stages] == ["done"] * 5 + ["current"]
    assert all(s.active and not s.chosen for s in stages)


def test_each_stage_says_what_it_produced(programme, built):
    stages = by_key(programme.view(built.ws, today=TODAY))
    g1, g2 = built.g1.name, built.g2.name
    assert stages["topic"].produced == (
        f"Chosen topic: Fewer return visits {HOSTILE}", "Candidate topics: 2",
        "Sub-topics (3): One guide · Peak hours · Kiosk")
    assert stages["teams"].produced == ("2 groups, 3 members", f"{g1}: 2 members", f"{g2}: 1 members")
    assert stages["learning"].produced == (
        "Meetings held: 3", "Meetings planned: 1", "Cards on the canvases: 8",
        "Progress reports: 1", "Reflections: 2", "Lessons learned: 1")
    assert stages["decision"].produced == (
        "Decision meetings held: 1", f"Adopted (1): {g1}", f"To be revised (1): {g2}",
        "Lessons learned: 1")
    # group 1 was adopted: its two actions, one done, one open and past its due date
    assert stages["tracking"].produced == (
        "Actions done: 1", "Actions open: 1", "Actions overdue: 1", "Status updates: 1")
    assert stages["consolidation"].produced == ("Lessons learned: 1",)


def test_the_view_speaks_the_language_asked_for(programme, built):
    _ = translator("zh")
    stage = programme.view(built.ws, today=TODAY, lang="zh")[3]
    assert stage.title == programme.stages()[3].title("zh")
    assert _("Adopted") in stage.produced[1] and _("Adopted") != "Adopted"


def test_a_new_workshop_stands_at_the_first_stage(wb, programme):
    ws = wb.workshops.create("New", "en", 2)
    stages = programme.view(ws, today=TODAY)
    assert [s.status for s in stages] == ["current"] + ["upcoming"] * 5
    assert all(s.start is None and s.produced == () for s in stages)


def test_without_activity_the_planned_dates_tell_where_the_programme_stands(wb, programme):
    ws = wb.workshops.create("Planned", "en", 1)
    ws = programme.set_dates(ws, "topic", "2027-01-01", "2027-01-31")
    ws = programme.set_dates(ws, "teams", date(2027, 2, 1), None)
    ws = programme.set_dates(ws, "learning", "2027-04-01", "2027-06-30")
    stages = by_key(programme.view(ws, today=TODAY))
    assert stages["teams"].status == "current"
    assert (stages["teams"].planned_start, stages["teams"].planned_end) == (date(2027, 2, 1), None)
    assert (stages["learning"].planned_start, stages["learning"].planned_end) == (
        date(2027, 4, 1), date(2027, 6, 30))
    assert stages["learning"].status == "upcoming"


def test_the_facilitator_sets_the_current_stage(programme, built):
    ws = programme.set_current(built.ws, "decision")
    stages = programme.view(ws, today=TODAY)
    assert [s.status for s in stages] == ["done"] * 3 + ["current"] + ["upcoming"] * 2
    assert [s.chosen for s in stages] == [False] * 3 + [True] + [False] * 2
    assert programme.current_override(ws) == "decision"
    ws = programme.set_current(ws, None)
    assert programme.view(ws, today=TODAY)[-1].status == "current"
    assert programme.current_override(ws) is None


def test_planned_dates_are_checked_and_kept_apart_from_what_happened(programme, built):
    ws = programme.set_dates(built.ws, "tracking", "2027-03-01", date(2027, 6, 30))
    tracking = by_key(programme.view(ws, today=TODAY))["tracking"]
    assert (tracking.planned_start, tracking.planned_end) == (date(2027, 3, 1), date(2027, 6, 30))
    assert (tracking.start, tracking.end) == (day(60), day(60))
    for stage, start, end, message in [
        ("tracking", "2027-06-30", "2027-03-01", "A stage cannot end before it starts."),
        ("nope", None, None, "Choose one of the six stages."),
        ("tracking", "31/12/2027", None, "Write the date as YYYY-MM-DD."),
    ]:
        with pytest.raises(InvalidInput) as caught:
            programme.set_dates(ws, stage, start, end)
        assert caught.value.message_id == message
    with pytest.raises(InvalidInput):
        programme.set_current(ws, "nope")
    ws = programme.set_dates(ws, "tracking", None, None)  # cleared
    assert by_key(programme.view(ws, today=TODAY))["tracking"].planned_start is None


def test_cases_are_noted_under_the_last_stage(wb, programme):
    ws = wb.workshops.create("Cases", "en", 1)
    ws = programme.set_dates(ws, "consolidation", "2027-05-01", "2027-05-31")
    ws = programme.add_case(ws, f"  The checklist   procedure {HOSTILE} ")
    ws = programme.add_case(ws, "Kiosk page")
    last = programme.view(ws, today=TODAY)[-1]
    assert last.produced == (f"Case: The checklist procedure {HOSTILE}", "Case: Kiosk page")
    assert last.active and last.status == "current" and last.planned_start == date(2027, 5, 1)
    ws = programme.remove_case(ws, 0)
    assert [c.text for c in programme.cases(ws)] == ["Kiosk page"]
    for bad in ("", "   ", "x" * 501):
        with pytest.raises(InvalidInput):
            programme.add_case(ws, bad)
    with pytest.raises(InvalidInput):
        programme.remove_case(ws, 5)


def test_meetings_count_in_the_stage_of_their_template(wb, programme, built):
    kinds = {m.title: programme.meeting_stage(m) for m in wb.store.find_meetings(built.ws.id)}
    assert kinds == {"Kickoff": "learning", "Follow-up | one": "learning", "Study visit": "learning",
                     "Not held yet": "learning", "Decision": "decision"}


# -- traceability ----------------------------------------------------------------------------

def shape(node, level=0):
    """(level, kind, text) of every node below ``node``."""
    return [(lvl, n.kind, n.text) for lvl, n in node.walk(level)]


def test_the_chain_runs_from_the_key_problem_to_the_lessons(trace, built):
    root = trace.chain(built.ws, built.g1.id)
    assert (root.kind, root.text) == ("group", built.g1.name)
    assert shape(root) == [
        (0, "problem", f"Guidance differs {HOSTILE}"),  # the agreed key problem first
        (1, "goal", "One checklist"),
        (2, "strategy", "Checklist team"),
        (3, "action", "Merge the lists"),
        (4, "status", "not_started"),
        (4, "status", "in_progress"),
        (4, "status", "done"),
        (4, "report", f"Collected the lists {HOSTILE}"),
        (0, "problem", "Too few counters"),
        (0, "unlinked", ""),  # nothing hidden: cards linked to nothing
        (1, "goal", "Shorter queues"),
        (1, "action", "Count visitors"),
        (2, "status", "in_progress"),
        (0, "lesson", "Put the procedure into the rules"),
        (0, "lesson", f"Ask why first {HOSTILE}"),
    ]
    assert root.children[0].decided and not root.children[1].decided


def test_a_group_without_unlinked_cards_has_no_unlinked_node(trace, built):
    root = trace.chain(built.ws, built.g2.id)
    assert shape(root) == [(0, "problem", "Forms are hard to read"),
                           (0, "lesson", "Bring trial figures")]
    with pytest.raises(InvalidInput):
        trace.chain(built.ws, 999999)


def test_trace_lines_describe_each_step(trace, built):
    lines = trace.trace_lines(built.ws, built.g1.id, "en")
    assert [(ln.level, ln.kind) for ln in lines][:8] == [
        (0, "problem"), (1, "goal"), (2, "strategy"), (3, "action"),
        (4, "status"), (4, "status"), (4, "status"), (4, "report")]
    problem, _goal, _strategy, action, created, changed, done, report = lines[:8]
    assert (problem.label, problem.text, problem.decided) == ("Key problem", f"Guidance differs {HOSTILE}", True)
    assert (action.label, action.detail) == ("Action", "Owner: Ann · Due: 2027-02-01 · Status: Done")
    assert (created.label, created.text, created.detail) == ("Status change", "Not started", day(7).isoformat())
    assert changed.text == "Not started → In progress"
    assert changed.detail == f"{day(30).isoformat()} · Meeting 2 · Note: half <b>done</b>"
    assert done.text == "In progress → Done" and done.detail == day(60).isoformat()
    assert (report.label, report.text) == ("Progress report", f"Collected the lists {HOSTILE}")
    assert report.detail == (f"Ann · Meeting 2 · {day(30).isoformat()} · Problems met: Two versions"
                             " · Help needed: Ask the convener")
    lesson = lines[-1]
    assert (lesson.label, lesson.detail) == ("Lesson learned",
                                             f"Learn and work as a team · Ann · {day(70).isoformat()}")
    assert lines[-2].detail == f"Consolidate and spread · Facilitator · {day(70).isoformat()}"
    _ = translator("zh")
    zh = trace.trace_lines(built.ws, built.g1.id, "zh")
    assert zh[0].label == _("Key problem") != "Key problem"


# -- the panels ------------------------------------------------------------------------------

def html_of(widget) -> str:
    out = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        out.append(html_of(child))
    return "".join(out)


def test_the_programme_panel_shows_six_stages_and_takes_the_facilitators_choices(wb, built):
    room = RoomWatch(wb, built.ws)
    panel = ProgrammePanel(wb, room, translator("en"))
    boxes = {b.key: b for b in panel.boxes}
    assert list(boxes) == ["topic", "teams", "learning", "decision", "tracking", "consolidation"]
    for key, box in boxes.items():
        assert {"wb-stage", f"wb-stage-{key}"} <= set(box.widget._dom_classes)
    assert "wb-stage-current" in boxes["consolidation"].widget._dom_classes
    assert "wb-stage-done" in boxes["topic"].widget._dom_classes
    shown = html_of(panel.widget)
    assert "<script" not in shown and "Fewer return visits &lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "wb-programme-now" in panel.summary.value and 'data-stage="consolidation"' in panel.summary.value

    panel.current.value = "decision"
    panel.set_current.click()
    assert "wb-stage-current" in boxes["decision"].widget._dom_classes
    assert "wb-stage-upcoming" in boxes["consolidation"].widget._dom_classes
    assert "wb-stage-current" not in boxes["consolidation"].widget._dom_classes
    assert "set by the facilitator" in boxes["decision"].info.value

    box = boxes["tracking"]
    box.start.value, box.end.value = date(2027, 6, 1), date(2027, 3, 1)
    box.save.click()
    assert "wb-error" in panel.message.widget.value
    box.start.value, box.end.value = date(2027, 3, 1), date(2027, 6, 1)
    box.save.click()
    assert panel.message.widget.value == ""
    assert "Planned: 2027-03-01 – 2027-06-01" in box.info.value

    panel.case.value = f"Checklist rule {HOSTILE}"
    panel.add_case.click()
    assert panel.case.value == ""
    assert "Case: Checklist rule &lt;script&gt;" in boxes["consolidation"].info.value


def test_the_programme_panel_follows_changes_made_elsewhere(wb, built):
    panel = ProgrammePanel(wb, RoomWatch(wb, built.ws), translator("en"))
    feed = wb.feed(built.ws.id)
    ProgrammeService(wb.store, wb.library).set_current(built.ws, "learning")  # another console
    wb.reflection.add_lesson(built.ws, "tracking", "Weekly figures", group_id=built.g1.id)
    panel.on_changes(feed.poll())
    boxes = {b.key: b for b in panel.boxes}
    assert "wb-stage-current" in boxes["learning"].widget._dom_classes
    assert panel.current.value == "learning"
    assert "Lessons learned: 1" in boxes["tracking"].info.value


def test_the_trace_panel_opens_the_chain_level_by_level(wb, built):
    panel = TracePanel(wb, RoomWatch(wb, built.ws), translator("en"))
    tree = panel.tree.value
    for kind in ("problem", "goal", "strategy", "action", "status", "report", "lesson", "unlinked"):
        assert f"wb-trace-{kind}" in tree
    assert tree.startswith('<details class="wb-trace-node wb-trace-problem" open>')
    assert '<details class="wb-trace-node wb-trace-goal">' in tree  # deeper levels start closed
    assert "<script" not in tree and "Guidance differs &lt;script&gt;alert(1)&lt;/script&gt;" in tree
    assert "half &lt;b&gt;done&lt;/b&gt;" in tree
    panel.expand.value = True
    assert '<details class="wb-trace-node wb-trace-goal" open>' in panel.tree.value
    panel.group.value = built.g2.id
    assert "Forms are hard to read" in panel.tree.value and "Guidance differs" not in panel.tree.value

    feed = wb.feed(built.ws.id)
    ws = wb.store.find_workshop_by_id(built.ws.id)
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, built.g2.id, "goals", "goals", "Plain words")
    panel.on_changes(feed.poll())
    assert "Plain words" in panel.tree.value


def test_the_trace_panel_of_an_empty_group_says_so(wb):
    ws = wb.workshops.create("Empty", "en", 1)
    panel = TracePanel(wb, RoomWatch(wb, ws), translator("en"))
    assert "wb-empty" in panel.tree.value
