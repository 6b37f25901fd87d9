"""What the facilitator did in the room lands in the session record: meetings and attendance,
speaking time, the questions asked and the room log, in Markdown and HTML, in both languages,
with every typed text escaped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from markupsafe import escape

from actionlab.exporters.escape import md_escape
from actionlab.i18n import translator
from actionlab.record import AirtimeRecord, AttendanceRecord, WorkshopRecord
from actionlab.services import records
from actionlab.services.canvas import FACILITATOR_AUTHOR

HOSTILE = "<script>alert(1)</script>"
SECTIONS = ("Meetings and attendance", "Speaking time", "Questions asked", "Room log")
T0 = datetime(2026, 11, 21, 9, 0, 0)
CLOCKED = ["actionlab.store", "actionlab.services.meetings", "actionlab.services.questions",
           "actionlab.services.speaking", "actionlab.services.timer"]


class Clock:
    """A stored-time clock the test moves by hand, so spoken seconds are exact."""

    def __init__(self):
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: int = 1) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    for module in CLOCKED:
        monkeypatch.setattr(f"{module}.utcnow", fake)
    return fake


def shown(value: datetime) -> str:
    """A stored (UTC) time as the record shows it: local wall-clock, to the minute."""
    return value.replace(tzinfo=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")


def shown_local(value: datetime) -> str:
    """A record time (already local) as the record shows it."""
    return value.strftime("%Y-%m-%d %H:%M")


def run_a_meeting(wb, clock: Clock, lang: str):
    """One meeting with a bit of everything, then one more round after it."""
    ws = wb.workshops.create("Room record", lang, 2, canvases=["restructure", "goals"])
    g1, g2 = wb.workshops.groups(ws)
    ann = wb.workshops.join(ws.code, g1.id, "Ann").member
    ben = wb.workshops.join(ws.code, g1.id, "Ben").member
    dee = wb.workshops.join(ws.code, g2.id, "<b>Dee</b>").member
    meeting = wb.meetings.add(ws, "Kick-off | day 1")
    ws = wb.meetings.start(ws, meeting.id)
    wb.meetings.heartbeat(ws, ann)
    wb.meetings.mark(ws, ben.id, "late")
    clock.tick(60)
    ws = wb.room.go(ws, 2)
    ws = wb.room.set_mode(ws, "goals", "private")
    clock.tick()
    ws = wb.timer.start(ws, 600)
    clock.tick(300)
    ws = wb.room.reveal(ws, "goals")
    clock.tick()
    key = wb.questions.library_questions("clarify")[0].key
    ws = wb.questions.push(ws, key=key, group_id=g1.id)
    clock.tick()
    ws = wb.questions.push(ws, text=HOSTILE)
    clock.tick()
    ws = wb.speaking.setup(FACILITATOR_AUTHOR, ws, g1.id, 120, order=[ann.id, ben.id])
    ws = wb.speaking.start_turn(FACILITATOR_AUTHOR, ws, g1.id)
    clock.tick(112)
    ws = wb.speaking.next(FACILITATOR_AUTHOR, ws, g1.id)
    clock.tick()
    ws = wb.speaking.next(FACILITATOR_AUTHOR, ws, g1.id, reason="passed")
    ws = wb.speaking.end(FACILITATOR_AUTHOR, ws, g1.id)
    clock.tick()
    ws = wb.meetings.end(ws)
    clock.tick(600)
    ws = wb.speaking.setup(FACILITATOR_AUTHOR, ws, g1.id, 60, order=[ann.id])
    ws = wb.speaking.start_turn(FACILITATOR_AUTHOR, ws, g1.id)
    clock.tick(20)
    ws = wb.speaking.end(FACILITATOR_AUTHOR, ws, g1.id)
    return ws, (g1, g2), (ann, ben, dee), key


def expected_log(wb, lang: str, groups, question: str) -> list[str]:
    _ = translator(lang)
    g1 = groups[0].name
    goals = wb.library.canvas("goals").title(lang)
    return [
        _("Meeting {number} started: {title}", number=1, title="Kick-off | day 1"),
        _("Step {n}: {title} (all groups)", n=3, title=goals),
        _("{canvas} set to {mode}", canvas=goals, mode=_("private writing")),
        _("Timer started: {time}", time="10:00"),
        _("Private writing revealed: {canvas}", canvas=goals),
        _("Question to {to}: {text}", to=g1, text=question),
        _("Question to {to}: {text}", to=_("All groups"), text=HOSTILE),
        _("{group}: speaking round for {n} people, {time} each", group=g1, n=2, time="2:00"),
        _("{group}: {name} spoke {spoken} of {allotted}", group=g1, name="Ann", spoken="1:52",
          allotted="2:00"),
        _("{group}: {name} skipped ({reason})", group=g1, name="Ben", reason=_("passed")),
        _("{group}: speaking round ended", group=g1),
        _("Meeting {number} ended: {title}", number=1, title="Kick-off | day 1"),
        _("{group}: speaking round for {n} people, {time} each", group=g1, n=1, time="1:00"),
        _("{group}: {name} spoke {spoken} of {allotted}", group=g1, name="Ann", spoken="0:20",
          allotted="1:00"),
        _("{group}: speaking round ended", group=g1),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_record_holds_meetings_airtime_questions_and_the_room_log(wb, clock, lang):
    ws, (g1, g2), _people, key = run_a_meeting(wb, clock, lang)
    _ = translator(lang)
    question = next(q for q in wb.questions.library_questions() if q.key == key).title(lang)
    record = wb.records.build(ws.code)

    [meeting] = record.meetings
    assert (meeting.number, meeting.title) == (1, "Kick-off | day 1")
    assert meeting.held_on == T0.date() and shown(meeting.started_at) == shown(T0)
    assert meeting.ended_at is not None
    assert meeting.attendance == [
        AttendanceRecord("Ann", g1.name, _("present")),
        AttendanceRecord("Ben", g1.name, _("late")),
        AttendanceRecord("<b>Dee</b>", g2.name, _("not marked")),
    ]

    [group] = record.airtime  # group 2 never held a round
    assert (group.number, group.name) == (1, g1.name)
    assert group.meetings == (_("Meeting {number}", number=1), _("Outside meetings"))
    assert group.rows == [AirtimeRecord("Ann", 2, 0, 132, "2:12", ("1:52", "0:20")),
                          AirtimeRecord("Ben", 0, 1, 0, "0:00", ("0:00", "0:00"))]

    assert [(q.to, q.purpose, q.text) for q in record.questions] == [
        (g1.name, _("Clarify the problem"), question), (_("All groups"), "", HOSTILE)]

    assert [e.text for e in record.room_log] == expected_log(wb, lang, (g1, g2), question)
    times = [e.at for e in record.room_log]
    assert times == sorted(times) and shown(times[0]) == shown(T0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_shows_the_room_with_typed_texts_escaped(wb, clock, lang):
    ws, groups, _people, _key = run_a_meeting(wb, clock, lang)
    _ = translator(lang)
    record = wb.records.build(ws.code)
    _name, media, data = wb.records.render(ws.code, "md")
    md = data.decode("utf-8")
    assert media.startswith("text/markdown")
    where = [md.index(f"\n## {_(h)}\n") for h in SECTIONS]
    assert where == sorted(where)
    g1 = md_escape(groups[0].name)
    assert f"### {_('Meeting {number}', number=1)}{'：' if lang == 'zh' else ': '}Kick-off \\| day 1\n" in md
    assert f"| Ann | {g1} | {_('present')} |" in md
    assert f"| Ben | {g1} | {_('late')} |" in md
    assert f"| &lt;b&gt;Dee&lt;/b&gt; | {md_escape(groups[1].name)} | {_('not marked')} |" in md
    assert "| Ann | 2 | 0 | 2:12 | 1:52 | 0:20 |" in md
    assert "| Ben | 0 | 1 | 0:00 | 0:00 | 0:00 |" in md
    assert f"| {_('All groups')} | — | &lt;script&gt;alert(1)&lt;/script&gt; |" in md
    for event in record.room_log:
        assert f"| {shown_local(event.at)} | {md_escape(event.text)} |" in md
    assert "<script" not in md and "<b>" not in md


@pytest.mark.slow  # renders a page / draws charts: `make test` runs it
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_shows_the_room_with_typed_texts_escaped(wb, clock, lang):
    ws, groups, _people, _key = run_a_meeting(wb, clock, lang)
    _ = translator(lang)
    record = wb.records.build(ws.code)
    html = wb.records.render(ws.code, "html")[2].decode("utf-8")
    for heading in SECTIONS:
        assert f"<h2>{escape(_(heading))}</h2>" in html
    assert "<script" not in html and "<b>Dee" not in html
    assert '<td class="wb-record-question">&lt;script&gt;alert(1)&lt;/script&gt;</td>' in html
    assert f"<td>&lt;b&gt;Dee&lt;/b&gt;</td><td>{escape(groups[1].name)}</td>" in html
    assert f"<td>Ben</td><td>{escape(groups[0].name)}</td><td>{escape(_('late'))}</td>" in html
    assert '<span class="wb-record-meeting-title">Kick-off | day 1</span>' in html
    assert ('<tr class="wb-record-speaker"><td>Ann</td><td class="wb-record-num">2</td>'
            '<td class="wb-record-num">0</td><td class="wb-record-num">2:12</td>') in html
    for event in record.room_log:
        assert f'<td class="wb-record-event">{escape(event.text)}</td>' in html
    assert html.count('class="wb-record-event"') == len(record.room_log)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_workshop_without_room_activity_gets_no_room_sections(wb, fmt):
    ws = wb.workshops.create("Quiet", "en", 1, canvases=["restructure"])
    wb.workshops.join(ws.code, wb.workshops.groups(ws)[0].id, "Ann")
    record = wb.records.build(ws.code)
    assert (record.meetings, record.airtime, record.questions, record.room_log) == ([], [], [], [])
    out = wb.records.render(ws.code, fmt)[2].decode("utf-8")
    for heading in SECTIONS:
        assert heading not in out
    for section in ("wb-record-meetings", "wb-record-airtime", "wb-record-questions",
                    "wb-record-room-log"):
        assert section not in out


def test_a_meeting_without_attendance_says_so(wb, clock):
    ws = wb.workshops.create("Planned", "zh", 1, canvases=["restructure"])
    wb.meetings.add(ws, "Second meeting")
    record = wb.records.build(ws.code)
    assert [(m.title, m.started_at, m.attendance) for m in record.meetings] == [
        ("Second meeting", None, [])]
    md = wb.records.render(ws.code, "md")[2].decode("utf-8")
    assert "（未记录考勤）" in md and "第 1 次会议" in md
    assert record.room_log == []  # planning a meeting is not something done in the room


def test_the_room_log_reads_a_long_change_log_page_by_page(wb, clock, monkeypatch):
    ws, *_rest = run_a_meeting(wb, clock, "en")
    whole = [e.text for e in wb.records.build(ws.code).room_log]
    monkeypatch.setattr(records, "CHANGE_PAGE", 3)
    assert [e.text for e in wb.records.build(ws.code).room_log] == whole


def test_old_callers_build_a_record_without_room_fields():
    record = WorkshopRecord(code="ABC", title="t", lang="en", created_at=T0, exported_at=T0,
                            revision=1)
    assert (record.meetings, record.airtime, record.questions, record.room_log) == ([], [], [], [])
