"""The follow-up across months lands in the session record: the programme's six stages,
progress reports, reflections, lessons learned, decisions and each group's chain from the key
problem to the lessons, in Markdown and HTML, in both languages, typed text escaped."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from markupsafe import escape

from actionlab.exporters.escape import md_escape
from actionlab.i18n import translator
from actionlab.services.programme import local_day
from tests.unit.programme_data import HOSTILE, T0, build_programme, install_clock

SECTIONS = ("Programme", "Progress reports", "Reflections", "Lessons learned", "Decisions",
            "Traceability")


def shown(n: int) -> str:
    """Day ``n`` of the programme as the record shows a time (local, to the minute)."""
    return (T0 + timedelta(days=n)).replace(tzinfo=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M")


def day(n: int) -> str:
    return local_day(T0 + timedelta(days=n)).isoformat()


@pytest.fixture
def clock(monkeypatch):
    return install_clock(monkeypatch)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_record_holds_the_follow_up(wb, clock, lang):
    built = build_programme(wb, clock, lang)
    _ = translator(lang)
    record = wb.records.build(built.ws.code)

    assert [s.key for s in record.programme] == ["topic", "teams", "learning", "decision",
                                                 "tracking", "consolidation"]
    last = record.programme[-1]
    assert (last.status_key, last.status, last.start.isoformat()) == ("current", _("current"), day(70))

    [meeting] = record.progress
    assert (meeting.number, meeting.title) == (2, "Follow-up | one")
    [report] = meeting.reports
    assert (report.name, report.group, report.done, report.problems, report.help) == (
        "Ann", built.g1.name, f"Collected the lists {HOSTILE}", "Two versions", "Ask the convener")
    statuses = wb.progress.status_titles(lang)
    change = _("{action}: {before} → {after}", action="Merge the lists",
               before=statuses["not_started"], after=statuses["in_progress"])
    assert report.changes == (_("{change} ({note})", change=change, note="half <b>done</b>"),)

    [review] = record.reflections
    assert (review.number, review.count, review.quality, review.own_part) == (2, 2, "4.5", "3.5")
    assert review.improvements == [("Ann", f"Start on time {HOSTILE}"), ("Ben", "Share the agenda")]

    assert [(s.number, [x.text for x in s.lessons]) for s in record.lessons] == [
        (3, [f"Ask why first {HOSTILE}"]), (4, ["Bring trial figures"]),
        (6, ["Put the procedure into the rules"])]
    assert record.lessons[0].lessons[0].author == "Ann"
    assert record.lessons[2].lessons[0].author == _("Facilitator")

    assert [(g.number, [(d.outcome_key, d.outcome, d.meeting) for d in g.decisions])
            for g in record.decisions] == [
        (1, [("adopt", _("Adopted"), _("Meeting {number}", number=5))]),
        (2, [("revise", _("To be revised"), _("Meeting {number}", number=5))])]
    assert record.decisions[0].decisions[0].reasons == f"Cheap {HOSTILE}"

    assert [g.number for g in record.trace] == [1, 2]
    first = record.trace[0].lines[0]
    assert (first.kind, first.label, first.text, first.decided) == (
        "problem", _("Key problem"), f"Guidance differs {HOSTILE}", True)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_shows_the_follow_up_with_typed_text_escaped(wb, clock, lang):
    built = build_programme(wb, clock, lang)
    _ = translator(lang)
    colon = "：" if lang == "zh" else ": "
    md = wb.records.render(built.ws.code, "md")[2].decode("utf-8")
    where = [md.index(f"\n## {_(h)}\n") for h in SECTIONS]
    assert where == sorted(where) and where[0] > md.index(f"\n## {_('Meetings and attendance')}\n")
    assert "<script" not in md and "<b>" not in md
    hostile = md_escape(HOSTILE)
    g1 = md_escape(built.g1.name)

    topic = md_escape(_("Chosen topic: {text}", text=f"Fewer return visits {HOSTILE}"))
    stage1 = md_escape(wb.library.items("stages")[0].title(lang))
    assert f"| 1 | {stage1} | {_('done')} | {day(0)} | — | {topic}<br>" in md
    assert f"| {_('current')} |" not in md and f"| **{_('current')}** | {day(70)} | — |" in md

    assert f"### {_('Meeting {number}', number=2)}{colon}Follow-up \\| one\n" in md
    assert f"#### Ann · {g1}\n\n- **{_('Progress')}**{colon}Collected the lists {hostile}\n" in md
    assert f"- **{_('Help needed')}**{colon}Ask the convener\n" in md
    assert "half &lt;b&gt;done&lt;/b&gt;" in md

    assert f"- **{_('Meeting quality (average)')}**{colon}4.5 / 5\n" in md
    assert f"  - Ann{colon}Start on time {hostile}\n" in md

    stage3 = wb.library.items("stages")[2].title(lang)
    assert f"### {_('Stage {number}', number=3)}{colon}{md_escape(stage3)}\n" in md
    assert f"- Ask why first {hostile} — *{g1} · Ann · {shown(70)}*\n" in md

    assert f"- **{_('Adopted')}** · {_('Meeting {number}', number=5)} · {shown(50)}\n" in md
    assert f"  - **{_('Reasons')}**{colon}Cheap {hostile}\n" in md

    assert f"\n- {_('Key problem')}{colon}Guidance differs {hostile} ✔\n" in md
    assert f"\n  - {_('Goal')}{colon}One checklist\n" in md
    assert f"\n- {_('Not linked to the chain')}\n" in md


@pytest.mark.slow  # draws the record's charts: `make test` runs it
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_shows_the_follow_up_with_typed_text_escaped(wb, clock, lang):
    built = build_programme(wb, clock, lang)
    _ = translator(lang)
    html = wb.records.render(built.ws.code, "html")[2].decode("utf-8")
    for heading in SECTIONS:
        assert f"<h2>{escape(_(heading))}</h2>" in html
    assert "<script" not in html and "<b>done" not in html
    hostile = str(escape(HOSTILE))
    assert '<li class="wb-record-stage wb-record-stage-current" data-stage="consolidation">' in html
    assert f"<li>{escape(_('Chosen topic: {text}', text='Fewer return visits ' + HOSTILE))}</li>" in html
    assert f'<td class="wb-record-text">Collected the lists {hostile}</td>' in html
    assert "half &lt;b&gt;done&lt;/b&gt;" in html
    assert '<strong class="wb-record-quality">4.5</strong>' in html
    assert f'<span class="wb-record-text">Start on time {hostile}</span>' in html
    assert f'<span class="wb-record-text">Ask why first {hostile}</span>' in html
    assert '<div class="wb-record-decision wb-record-decision-adopt">' in html
    assert f'<dd class="wb-record-text">Cheap {hostile}</dd>' in html
    assert (f'<li class="wb-record-trace-line wb-record-trace-problem" style="margin-left: 0.0em">'
            f'<span class="wb-record-map-kind">{escape(_("Key problem"))}</span> '
            f'<span class="wb-record-text wb-record-map-decided">Guidance differs {hostile}</span> ✔</li>') in html


def test_a_quiet_workshop_shows_its_programme_only(wb):
    ws = wb.workshops.create("Quiet", "en", 1)
    wb.workshops.join(ws.code, wb.workshops.groups(ws)[0].id, "Ann")
    record = wb.records.build(ws.code)
    assert [s.status_key for s in record.programme] == ["done", "current"] + ["upcoming"] * 4
    assert (record.progress, record.reflections, record.lessons, record.decisions, record.trace) == (
        [], [], [], [], [])
    md = wb.records.render(ws.code, "md")[2].decode("utf-8")
    assert "\n## Programme\n" in md
    for heading in SECTIONS[1:]:
        assert f"\n## {heading}\n" not in md
