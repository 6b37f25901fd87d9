"""Evaluation: the arithmetic of "satisfied or above", flags and weighted totals; the survey
and assessment rules against a real SQLite store; the console panel and the phone's survey
form driven in-process."""

from __future__ import annotations

import ipywidgets as w
import pytest

from actionlab.errors import InvalidInput
from actionlab.i18n import translator
from actionlab.services.evaluation import (
    AssessmentService,
    SurveyService,
    flag_groups,
    normalise,
    ranks,
    share_satisfied,
    weighted_total,
)
from widgets.common import is_shown
from widgets.evaluation import EvaluationPanel
from widgets.roomwatch import RoomWatch
from widgets.surveyform import SurveyForm

_ = translator("en")
GOOD = {"content": 5, "format": 4, "platform": 4, "organisation": 5}


@pytest.fixture
def ev(wb):
    """The workbook with the evaluation services, a workshop of three groups and people."""
    wb.surveys = SurveyService(wb.store, wb.library)
    wb.assessment = AssessmentService(wb.store, wb.library)
    ws = wb.workshops.create("T", "en", 3, canvases=["restructure"])
    groups = wb.workshops.groups(ws)
    wb.ws, wb.groups = ws, groups
    return wb


def add(wb, name, group=0, **profile):
    return wb.store.add_member("facilitator", workshop_id=wb.ws.id, group_id=wb.groups[group].id,
                               name=name, token_hash=None, **profile)


def stored(wb):
    return wb.store.find_survey_answers(wb.ws.id)


def html_of(widget) -> str:
    out = [widget.value] if isinstance(widget, w.HTML) else []
    out += [html_of(c) for c in getattr(widget, "children", ())]
    return "".join(out)


# -- arithmetic -------------------------------------------------------------------------------
def test_share_satisfied_and_the_70_against_88_flag():
    assert share_satisfied([5, 4, 3, 2], 4) == 0.5
    assert share_satisfied([], 4) is None
    assert flag_groups({"North": 0.70, "South": 0.90, "East": 0.80}, 0.88) == ["North"]
    # exactly the gap is flagged; a smaller gap, no answers or no overall is not
    assert flag_groups({"A": 0.78, "B": 0.79, "C": None}, 0.88) == ["A"]
    assert flag_groups({"A": 0.70}, None) == []
    assert flag_groups({"A": 0.85}, 0.88, gap=0.03) == ["A"]


def test_weighted_totals_default_edited_normalised_and_missing():
    default = {"coursework": 40, "assignments": 30, "research": 30}
    scores = {"coursework": 80, "assignments": 70, "research": 90}
    assert weighted_total(scores, default) == 80.0  # 32 + 21 + 27
    assert weighted_total(scores, {"coursework": 50, "assignments": 50, "research": 0}) == 75.0
    # weights that do not add up to 100 count as their shares of the sum
    assert weighted_total(scores, {"coursework": 4, "assignments": 3, "research": 3}) == 80.0
    assert normalise({"a": 1, "b": 3}) == {"a": 0.25, "b": 0.75}
    # a missing score is missing, never 0 ... unless its part carries no weight
    assert weighted_total({**scores, "research": None}, default) is None
    assert weighted_total({**scores, "research": None},
                          {"coursework": 50, "assignments": 50, "research": 0}) == 75.0
    assert ranks({1: 80.0, 2: 91.5, 3: 80.0, 4: None}) == {1: 2, 2: 1, 3: 2, 4: None}


# -- surveys ----------------------------------------------------------------------------------
def test_open_close_and_a_closed_survey_is_refused(ev):
    me = add(ev, "Mei")
    with pytest.raises(InvalidInput) as caught:
        ev.surveys.answer(ev.ws, me, "satisfaction", GOOD)
    assert "closed" in caught.value.translated(_)
    ws = ev.surveys.open(ev.ws, "satisfaction")
    assert ev.surveys.open_survey(ws).key == "satisfaction"
    with pytest.raises(InvalidInput):  # another survey than the one open
        ev.surveys.answer(ws, me, "needs", {"topic": "tools", "format": "online"})
    with pytest.raises(InvalidInput):
        ev.surveys.open(ws, "no-such-survey")
    ws = ev.surveys.close(ws)
    assert ev.surveys.open_survey(ws) is None
    with pytest.raises(InvalidInput):
        ev.surveys.answer(ws, me, "satisfaction", GOOD)
    assert stored(ev) == []
    assert {c.action for c in ev.store.find_changes(workshop_id=ev.ws.id)} >= {"survey.open", "survey.close"}


@pytest.mark.parametrize("bad", [
    {**GOOD, "content": 6}, {**GOOD, "content": 0}, {**GOOD, "content": "x"},
    {**GOOD, "content": True}, {**GOOD, "comment": "x" * 2001}, {**GOOD, "nonsense": 3},
])
def test_bad_answers_are_refused_and_nothing_is_written(ev, bad):
    me = add(ev, "Mei")
    ev.surveys.open(ev.ws, "satisfaction")
    with pytest.raises(InvalidInput):
        ev.surveys.answer(ev.ws, me, "satisfaction", bad)
    assert stored(ev) == []


def test_required_questions_are_named_and_a_new_answer_replaces_the_old(ev):
    me = add(ev, "Mei")
    ev.surveys.open(ev.ws, "satisfaction")
    with pytest.raises(InvalidInput) as caught:
        ev.surveys.answer(ev.ws, me, "satisfaction", {"content": 4, "format": None})
    message = caught.value.translated(_)
    assert "Format" in message and "Platform" in message and "Content" not in message
    assert stored(ev) == []
    ev.surveys.answer(ev.ws, me, "satisfaction", {**GOOD, "comment": "  more breaks  "})
    ev.surveys.answer(ev.ws, me, "satisfaction", {**GOOD, "content": "2", "comment": ""})
    assert ev.surveys.my_answers(ev.ws, me, "satisfaction") == {**GOOD, "content": 2}
    assert len(stored(ev)) == 5  # one row per question, replaced in place


def test_results_by_group_with_the_flag_gap_as_an_option(ev):
    ev.surveys.open(ev.ws, "satisfaction")
    plan = [(0, [5, 5, 4, 4]), (1, [5, 4, 4, 2]), (2, [4, 1])]  # content: 100 %, 75 %, 50 %
    for group, values in plan:
        for i, value in enumerate(values):
            member = add(ev, f"P{group}{i}", group)
            ev.surveys.answer(ev.ws, member, "satisfaction",
                              {**GOOD, "content": value, "comment": f"note {group}{i}" if i == 0 else ""})
    add(ev, "Silent")
    res = ev.surveys.results(ev.ws, "satisfaction")
    names = [g.name for g in ev.groups]
    assert res.entries == names and res.respondents == 10 and res.invited == 11
    assert res.respondents_by == {names[0]: 4, names[1]: 4, names[2]: 2}
    content = res.question("content")
    assert content.overall.share == 0.8
    assert {e: s.share for e, s in content.by.items()} == dict(zip(names, [1.0, 0.75, 0.5], strict=True))
    assert content.flagged == [names[2]]  # 50 % against 80 %; 75 % is within 10 points
    assert res.question("format").flagged == []
    # all four questions: 38 of 40 overall, the third group 7 of 8: within 10 points
    assert res.overall.answered == 40 and res.overall.share == 0.95 and res.flagged == []
    assert sorted(res.question("comment").texts) == ["note 00", "note 10", "note 20"]
    ev.surveys.set_flag_gap(ev.ws, 0.05)
    assert ev.surveys.results(ev.ws, "satisfaction").question("content").flagged == names[1:]
    with pytest.raises(InvalidInput):
        ev.surveys.set_flag_gap(ev.ws, 0.9)


def test_training_needs_by_level(ev):
    ev.surveys.open(ev.ws, "needs")
    rows = [("A", "Section", "tools", "workshop"), ("B", "Section", "tools", "visit"),
            ("C", "Staff", "policy", "workshop"), ("D", None, "tools", "online")]
    for name, level, topic, fmt in rows:
        ev.surveys.answer(ev.ws, add(ev, name, level=level), "needs", {"topic": topic, "format": fmt})
    res = ev.surveys.results(ev.ws, "needs")
    assert res.by == "level" and res.entries == ["Section", "Staff", "—"]
    topic = res.question("topic")
    assert topic.counts == {"tools": 3, "policy": 1}
    assert topic.counts_by == {"Section": {"tools": 2}, "Staff": {"policy": 1}, "—": {"tools": 1}}
    assert res.question("format").counts_by["Section"] == {"workshop": 1, "visit": 1}
    assert not res.has_likert and res.question("detail").texts == []


# -- member assessment ------------------------------------------------------------------------
def test_assessment_weights_default_edit_and_validation(ev):
    a = ev.assessment
    assert a.weights(ev.ws) == {"coursework": 40, "assignments": 30, "research": 30}
    ws = a.set_weights(ev.ws, {"coursework": 2, "assignments": 1, "research": 1})
    assert a.shares(ws) == {"coursework": 0.5, "assignments": 0.25, "research": 0.25}
    for bad in ({"coursework": -1}, {"coursework": 0, "assignments": 0, "research": 0},
                {"coursework": "lots"}, {"teamwork": 10}, {"coursework": float("nan")}):
        with pytest.raises(InvalidInput):
            a.set_weights(ws, bad)
    assert a.weights(ev.store.find_workshop_by_id(ws.id))["coursework"] == 2


def test_assessment_table_totals_ranks_and_incomplete_rows(ev):
    a = ev.assessment
    mei, tom, ana = add(ev, "Mei"), add(ev, "Tom", 1), add(ev, "Ana", 2)
    add(ev, "Expert", 0, role="expert")  # not assessed
    for member, scores in ((mei, (80, 70, 90)), (tom, (90, 90, "95.5")), (ana, (60, 70, None))):
        for key, value in zip(("coursework", "assignments", "research"), scores, strict=True):
            a.set_score(ev.ws, member.id, key, value)
    for bad in (101, -1, "abc"):
        with pytest.raises(InvalidInput):
            a.set_score(ev.ws, mei.id, "research", bad)
    with pytest.raises(InvalidInput):
        a.set_score(ev.ws, mei.id, "teamwork", 50)
    table = {r.name: r for r in a.table(ev.ws)}
    assert list(table) == ["Mei", "Tom", "Ana"]
    assert table["Mei"].total == 80.0 and table["Mei"].rank == 2
    assert table["Tom"].total == 91.65 and table["Tom"].rank == 1
    assert table["Ana"].total is None and table["Ana"].rank is None
    assert not table["Ana"].complete and table["Ana"].missing == ["research"]
    a.set_score(ev.ws, tom.id, "research", None)  # cleared
    assert {r.name: r.rank for r in a.table(ev.ws)} == {"Mei": 1, "Tom": None, "Ana": None}


# -- widgets ----------------------------------------------------------------------------------
@pytest.fixture
def quick_chart(monkeypatch):
    import actionlab.evalcharts

    calls = []
    monkeypatch.setattr(actionlab.evalcharts, "satisfaction_bars",
                        lambda *args, **kw: calls.append((args, kw)) or b"\x89PNG")
    return calls


def test_survey_form_shows_when_open_and_a_submit_stores_answers(ev):
    me = add(ev, "Mei")
    feed = ev.feed(ev.ws.id)
    room = RoomWatch(ev, ev.ws)
    form = SurveyForm(ev, room, me, _)
    assert not is_shown(form.widget)
    ev.surveys.open(ev.ws, "satisfaction")
    form.on_changes(feed.poll())
    assert is_shown(form.widget) and "Satisfaction survey" in html_of(form.widget)
    form.inputs["content"].value = 5
    form.inputs["comment"].value = "More <b>time</b>"
    form.submit.click()  # the other questions are not answered yet
    assert "wb-error" in form.message.widget.value and stored(ev) == []
    assert form.inputs["content"].value == 5 and form.inputs["comment"].value == "More <b>time</b>"
    for key in ("format", "platform", "organisation"):
        form.inputs[key].value = 4
    form.submit.click()
    assert "wb-error" not in form.message.widget.value and "Thank you" in form.thanks.value
    assert ev.surveys.my_answers(ev.ws, me, "satisfaction")["comment"] == "More <b>time</b>"
    ev.surveys.close(ev.ws)
    form.on_changes(feed.poll())
    assert not is_shown(form.widget)
    ev.surveys.open(ev.ws, "satisfaction")  # opened again: filled in, still editable
    form.on_changes(feed.poll())
    assert form.inputs["content"].value == 5 and "Thank you" in form.thanks.value


def test_evaluation_panel_runs_the_survey_and_the_assessment(ev, quick_chart):
    feed = ev.feed(ev.ws.id)
    room = RoomWatch(ev, ev.ws)
    panel = EvaluationPanel(ev, room, _)
    assert panel.close.disabled and "No survey is open" in panel.status.value
    panel.pick.value = "satisfaction"
    panel.open.click()
    assert ev.surveys.open_key(ev.store.find_workshop_by_id(ev.ws.id)) == "satisfaction"
    for group, values in ((0, [5, 5, 5]), (1, [2, 2, 1])):
        for i, value in enumerate(values):
            member = add(ev, f"<i>P{group}{i}</i>", group)
            ev.surveys.answer(ev.ws, member, "satisfaction", {**GOOD, "content": value})
    panel.on_changes(feed.poll())
    assert "6 of 6 people have answered" in panel.count.value
    table = panel.results.value
    assert table.count("wb-survey-flagged") >= 1 and "far below overall" in table
    assert quick_chart and quick_chart[-1][1]["flagged"] == [ev.groups[1].name]
    # the assessment grid: one row per member, a typed score is stored, a bad one kept
    assert len(panel.rows) == 6 and "&lt;i&gt;" in html_of(panel.widget)
    row = next(iter(panel.rows.values()))
    row.cells["coursework"].value = "80"
    row.cells["assignments"].value = "200"
    assert "wb-error" in panel.assess_message.widget.value
    assert row.cells["assignments"].value == "200"
    row.cells["assignments"].value = "70"
    row.cells["research"].value = "90"
    panel.on_changes(feed.poll())
    assert "80.0" in row.total.value and row.rank.value == "1"
    other = list(panel.rows.values())[1]
    assert "wb-assess-incomplete" in other.widget._dom_classes and "Incomplete" in other.total.value
    panel.weights["coursework"].value = 0
    panel.weights["assignments"].value = 10
    panel.weights["research"].value = 30
    panel.weights_save.click()
    assert "85.0" in row.total.value  # 70 × 1/4 + 90 × 3/4
    assert "75%" in panel.shares.value and "not 100" in panel.shares.value
    panel.close.click()
    assert "No survey is open" in panel.status.value


@pytest.mark.slow  # draws real charts / renders a page: `make test` runs it
def test_satisfaction_chart_is_a_png_with_a_no_data_picture(ev):
    from actionlab.evalcharts import satisfaction_bars

    png = satisfaction_bars({"第一组": 0.9, "第二组": 0.7}, 0.88, "zh", flagged=["第二组"],
                            counts={"第一组": 10, "第二组": 10}, gap=0.1)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert satisfaction_bars({}, None, "en").startswith(b"\x89PNG")
