"""Scoped session records: one group, the minutes of one meeting, the case write-up; branding,
template overrides and file names. Built from the demo workshop (no charts: fast)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from actionlab.demo import create_demo
from actionlab.errors import InvalidInput
from actionlab.exporters import MarkdownExporter, get_exporter
from actionlab.exporters.base import record_filename
from actionlab.exporters.document import Heading, Para, Table, build_document
from actionlab.exporters.escape import md_escape
from actionlab.record import Branding, Scope
from actionlab.services import Workbook
from actionlab.settings import Settings

HOSTILE = "李老师 <img src=x onerror=alert(1)>"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scope")
    wb = Workbook.open(Settings(db_url=f"sqlite:///{folder / 'wb.db'}"), upgrade=True)
    ws = create_demo(wb, "en")
    wb.records.set_facilitator(ws, HOSTILE)
    yield wb, wb.workshops.get(ws.code)
    wb.close()


def _meeting(wb, ws, number):
    return next(m for m in wb.store.find_meetings(ws.id) if m.number == number)


def test_group_scope_keeps_only_that_group(demo):
    wb, ws = demo
    groups = {g.number: g for g in wb.workshops.groups(ws)}
    whole = wb.records.build(ws.code)
    record = wb.records.build(ws.code, Scope("group", group=2))
    name = groups[2].name
    assert [g.name for g in record.groups] == [name]
    mine = {m.name for m in wb.workshops.members(ws) if m.group_id == groups[2].id}
    assert {m.name for m in record.groups[0].members} == mine
    reports = [r for m in record.progress for r in m.reports]
    assert reports and {r.group for r in reports} == {name}
    assert len(reports) < sum(len(m.reports) for m in whole.progress)
    assert [d.name for d in record.decisions] == [name]
    for meeting in record.meetings:
        assert {a.name for a in meeting.attendance} <= mine
    assert all(len(m.improvements) <= len(mine) for m in record.reflections)
    assert {x.group for s in record.lessons for x in s.lessons} <= {name, ""}
    assert [t.name for t in record.trace] == [name]
    assert record.room_log == []  # the room's log belongs to the whole programme
    assert record.programme  # the six stages stay as the frame


def test_meeting_minutes_hold_that_meeting_only(demo):
    wb, ws = demo
    record = wb.records.build(ws.code, Scope("meeting", meeting=7))
    m = record.minutes
    assert m is not None and m.number == 7 and m.facilitator == HOSTILE
    assert [a.kind for a in m.agenda] == ["rules", "tracking", "progress", "discussion",
                                           "canvas", "review"]
    assert [a.minutes for a in m.agenda] == [5, 10, 60, 90, 30, 20]
    assert m.expected == len(wb.workshops.members(ws)) and 0 < m.present <= m.expected
    assert [x.number for x in record.meetings] == [7]
    # the follow-up meeting worked on the action plan only
    assert {c.key for g in record.groups for c in g.canvases} == {"actions"}
    assert [x.number for x in record.progress] == [7]
    meeting_id = _meeting(wb, ws, 7).id
    stored = [r for r in wb.store.find_progress_reports(ws.id) if r.meeting_id == meeting_id]
    assert sum(len(x.reports) for x in record.progress) == len(stored) > 0
    assert [x.number for x in record.reflections] == [7]
    assert record.decisions == []  # decided at meeting 6
    decided = wb.records.build(ws.code, Scope("meeting", meeting=6))
    assert decided.decisions and decided.programme == [] and decided.trace == []


def test_case_write_up_tells_each_groups_story(demo):
    wb, ws = demo
    record = wb.records.build(ws.code, Scope("case"))
    assert len(record.cases) == len(wb.workshops.groups(ws))
    first = record.cases[0]
    cards = [c for c in wb.store.find_cards(ws.id)
             if c.group_id == wb.workshops.groups(ws)[0].id]
    agreed = {c.text for c in cards if c.canvas == "restructure" and c.column == "key_problem"
              and c.decided}
    assert set(first.restated) == agreed
    assert first.first_stated == tuple(c.text for c in cards
                                       if c.canvas == "restructure" and c.column == "original")
    actions = [c for c in cards if c.canvas == "actions"]
    assert [a.text for a in first.actions] == [c.text for c in actions]
    assert all(a.owner for a in first.actions)
    done = sum(1 for c in actions if (c.fields or {}).get("status") == "done")
    assert first.results[0] == f"{done} of {len(actions)} actions done"
    assert any(r.startswith("Decision: ") for r in first.results)
    assert first.lessons
    one = wb.records.build(ws.code, Scope("case", group=2))
    assert [c.number for c in one.cases] == [2]
    assert record.groups and all(not g.canvases for g in record.groups)


def test_scope_errors_are_clear(demo):
    wb, ws = demo
    for scope, words in ((Scope("group", group=9), "no group 9"),
                         (Scope("group"), "Choose a group"),
                         (Scope("meeting", meeting=99), "no meeting 99"),
                         (Scope("meeting"), "Choose a meeting"),
                         (Scope("week"), "Unknown record scope")):
        with pytest.raises(InvalidInput) as info:
            wb.records.build(ws.code, scope)
        assert words in str(info.value.translated(lambda s, **k: s.format(**k)))
    with pytest.raises(InvalidInput):
        wb.records.render(ws.code, "xlsx", Scope("case"))


@pytest.mark.parametrize(("scope", "name"), [
    (Scope(), "K7-record.pdf"),
    (Scope("group", group=2), "K7-group-2.pdf"),
    (Scope("meeting", meeting=3), "K7-meeting-3-minutes.pdf"),
    (Scope("case"), "K7-case.pdf"),
    (Scope("case", group=1), "K7-case-group-1.pdf"),
])
def test_file_names_say_what_the_file_covers(scope, name):
    assert record_filename("K7", scope, ".pdf") == name
    assert record_filename("../K 7", None, ".md", "backup") == "K_7-backup.md"


def test_minutes_and_case_in_markdown_and_html_escape_what_people_typed(demo):
    wb, ws = demo
    for scope in (Scope("meeting", meeting=7), Scope("case")):
        record = wb.records.build(ws.code, scope)
        md = get_exporter("md").render(record)
        html = get_exporter("html").render(record)
        for out in (md, html):
            assert "<img" not in out
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        if scope.kind == "meeting":
            assert "Minutes of meeting 7" in md and "Minutes of meeting 7" in html
            assert md_escape(HOSTILE) in md
            assert "Agenda" in md and "| 3 | Progress reports | 60 |" in md
        else:
            assert "Case write-up" in md and "The problem as restated" in html
            for case in record.cases:
                for text in case.restated:
                    assert md_escape(text) in md


def test_document_blocks_follow_the_record(demo):
    wb, ws = demo
    record = wb.records.build(ws.code)
    doc = build_document(record)
    headings = [b.text for b in doc.blocks if isinstance(b, Heading) and b.level == 1]
    for title in ("Summary", "Meetings and attendance", "Programme", "Progress reports",
                  "Reflections", "Lessons learned", "Decisions", "Traceability"):
        assert title in headings
    text = doc.text()
    for group in record.groups:
        for canvas in group.canvases:
            for column in canvas.columns:
                for card in column.cards:
                    assert card.text in text
    assert isinstance(doc.blocks[1], Heading) and isinstance(doc.blocks[2], Table)
    minutes = build_document(wb.records.build(ws.code, Scope("meeting", meeting=7)))
    assert minutes.kind == "Minutes of meeting 7"
    assert any(isinstance(b, Para) and b.text == "(attendance not taken)" for b in minutes.blocks) \
        or any(isinstance(b, Table) and "Attendance" in b.header for b in minutes.blocks)


def test_branding_from_settings_reaches_every_template_format(demo, tmp_path):
    wb, ws = demo
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    settings = Settings(db_url="sqlite://", brand_name="Training <Centre>",
                        brand_header="Programme 2026 & co", brand_logo=str(logo))
    wb.records.settings = settings
    try:
        # (records.render draws charts for HTML: slow; the same branding, without them)
        html = get_exporter("html").render(wb.records.build(ws.code, brand=wb.records.brand()))
        assert "Training &lt;Centre&gt;" in html and "Programme 2026 &amp; co" in html
        assert 'class="wb-record-logo" alt="" src="data:image/png;base64,' in html
        md = wb.records.render(ws.code, "md")[2].decode()
        assert md.startswith("**Training &lt;Centre&gt;** · Programme 2026 &amp; co\n")
        logo.write_bytes(b"GIF89a not a png")
        with pytest.raises(InvalidInput) as info:
            wb.records.render(ws.code, "md")
        assert info.value.message_id == "The logo {file} is not a PNG or JPEG picture."
    finally:
        wb.records.settings = Settings(db_url="sqlite://")
    assert not Branding() and Branding(name="x")


def test_an_organisation_can_override_a_template(demo, tmp_path):
    wb, ws = demo
    (tmp_path / "record.md.j2").write_text(
        "# {{ record.title|md_escape }} — {{ _('Members') }}\n{% for g in record.groups %}"
        "* {{ g.name|md_escape }}\n{% endfor %}", encoding="utf-8")
    record = wb.records.build(ws.code)
    out = MarkdownExporter(templates=tmp_path).render(record)
    assert out.splitlines()[0] == f"# {md_escape(record.title)} — Members"
    assert len(out.splitlines()) == 1 + len(record.groups)
    wb.records.settings = Settings(db_url="sqlite://", export_templates=str(tmp_path))
    try:
        assert wb.records.render(ws.code, "md")[2].decode().startswith("# ")
        html = get_exporter("html", templates=tmp_path).render(record)  # not overridden
        assert html.startswith("<!DOCTYPE html>")
    finally:
        wb.records.settings = Settings(db_url="sqlite://")


def test_group_headings_do_not_say_the_number_twice(demo):
    wb, ws = demo
    record = wb.records.build(ws.code)
    first, second = record.groups[:2]
    assert first.name.startswith("Group 1 · ")  # the demo names its groups "Group N · theme"
    renamed = replace(record, groups=[first, replace(second, name="Group 2"), *record.groups[2:]])
    headings = [b.text for b in build_document(renamed).blocks
                if isinstance(b, Heading) and b.level == 1]
    assert f"Group 1: {first.name.split(' · ', 1)[1]}" in headings
    assert "Group 2" in headings  # a group still called by its number
    assert not [h for h in headings if h.startswith("Group 1: Group") or h.startswith("Group 2:")]
    theme = first.name.split(" · ", 1)[1]
    md = get_exporter("md").render(renamed)
    lines = md.splitlines()
    assert f"## Group 1: {md_escape(theme)}" in lines and "## Group 2" in lines
    assert not [line for line in lines if line.startswith("## Group 2:")]
    html = get_exporter("html").render(renamed)
    assert (f'<span class="wb-record-group-number">Group 1</span> '
            f'<span class="wb-record-group-name">{theme}</span></h2>') in html
    assert '<span class="wb-record-group-number">Group 2</span></h2>' in html


def test_minutes_without_canvas_work_have_no_empty_group_headings(demo):
    wb, ws = demo
    kickoff_record = wb.records.build(ws.code, Scope("meeting", meeting=1))
    kickoff = build_document(kickoff_record)
    assert not [b for b in kickoff.blocks if isinstance(b, Heading) and b.text.startswith("Group")]
    assert "\n## Group" not in get_exporter("md").render(kickoff_record)
    assert "<section class=\"wb-record-group\"" not in get_exporter("html").render(kickoff_record)
    record = wb.records.build(ws.code, Scope("meeting", meeting=7))
    assert all(g.canvases for g in record.groups)
    idle = replace(record.groups[1], canvases=[])
    doc = build_document(replace(record, groups=[record.groups[0], idle, *record.groups[2:]]))
    at = next(i for i, b in enumerate(doc.blocks)
              if isinstance(b, Heading) and b.text.startswith("Group 2"))
    assert isinstance(doc.blocks[at + 1], Para)
    assert doc.blocks[at + 1].text == "(no canvas work at this meeting)"
    one_idle = replace(record, groups=[record.groups[0], idle, *record.groups[2:]])
    md = get_exporter("md").render(one_idle)
    assert "*(no canvas work at this meeting)*" in md and "### Members" not in md
    html = get_exporter("html").render(one_idle)
    assert "(no canvas work at this meeting)" in html and "<table class=\"wb-record-members\"" not in html


def test_minutes_chart_the_actions_up_to_that_meeting(demo, monkeypatch):
    from actionlab import trackcharts

    drawn = []
    real = trackcharts.trend_chart
    monkeypatch.setattr(trackcharts, "trend_chart",
                        lambda trend, *a, **k: drawn.append(trend) or real(trend, *a, **k))
    wb, ws = demo
    kickoff = wb.records.build(ws.code, Scope("meeting", meeting=1), charts=True)
    assert "trend" not in [c.key for c in kickoff.charts]  # no actions yet at the kick-off
    third = wb.records.build(ws.code, Scope("meeting", meeting=3), charts=True)
    assert "trend" in [c.key for c in third.charts]
    assert set(drawn[-1]["meeting_number"]) == {1, 2, 3}
    whole = wb.records.build(ws.code, charts=True)
    assert "trend" in [c.key for c in whole.charts]
    assert max(drawn[-1]["meeting_number"]) > 3  # the whole programme: every meeting held
