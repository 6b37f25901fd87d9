"""A workshop as pandas tables for JupyterLab: every table typed and in a stable shape (also
when empty), names joined in, canvas fields flattened; the tracking views computed from the
status history (status at each meeting, overdue as of a day); several workshops one below the
other; clear errors that leave someone's database as it was; tracking charts as PNGs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
from PIL import Image

from actionlab import frames as fr
from actionlab import load_workshop, load_workshops, migrate
from actionlab.db.engine import make_engine
from actionlab.errors import NotFound, SchemaOutOfDate, StoreError
from actionlab.paths import ROOT_DIR
from actionlab.trackcharts import timeline_chart, trend_chart

F = "f"  # the actor of the writes below
T0 = date.today()


def day(n: int) -> date:
    return T0 + timedelta(days=n)


def at(n: int, hour: int = 11) -> datetime:
    return datetime.combine(day(n), time(hour))


def stamp(n: int) -> pd.Timestamp:
    return pd.Timestamp(day(n))


@pytest.fixture
def programme(wb):
    """Two groups followed over two meetings (days 10 and 40; a third is planned on day 100).

    Actions and their status, as reported:
      a1 (Alpha, due day 20): not started → in progress (meeting 1) → done (meeting 2)
      a2 (Alpha, due day 60): in progress → blocked (between meetings, before 1) → done (2)
      b1 (Beta,  due day 30): not started → blocked (meeting 1, typed in on day 12) → in progress (2)
    """
    store = wb.store
    ws = wb.workshops.create("Tracking", "en", 2, group_names=["Alpha", "Beta"],
                             canvases=["restructure", "goals", "strategy", "actions"])
    alpha, beta = wb.workshops.groups(ws)

    def member(group, name, **profile):
        return store.add_member(F, workshop_id=ws.id, group_id=group.id if group else None,
                                name=name, token_hash=None, **profile)

    ann = member(alpha, "Ann", role="group_leader", level="senior")
    bo = member(alpha, "Bo")
    cy = member(beta, "Cy")
    member(beta, "Di")
    member(None, "Eve")  # on the roster, in no group yet
    m1, m2, m3 = (store.add_meeting(F, workshop_id=ws.id, kind="group_followup", title=title,
                                    agenda=[], held_on=day(n))
                  for title, n in (("Follow-up 1", 10), ("Follow-up 2", 40), ("Follow-up 3", 100)))

    def card(group, canvas, column, text, author, **kw):
        return store.add_card(F, workshop_id=ws.id, group_id=group.id, canvas=canvas,
                              column=column, text=text, author_id=author.id, **kw)

    goal = card(alpha, "goals", "goals", "Halve the waiting time", ann, fields={
        "level": "team", "measure": "Minutes waited", "deadline": day(90).isoformat(),
        "owner": ann.id})
    option = card(alpha, "strategy", "options", "A second counter at peak hours", bo,
                  parent_id=goal.id)
    store.set_score(F, option, ann.id, "impact", 4)
    store.set_score(F, option, bo.id, "impact", 2)
    store.set_score(F, option, ann.id, "feasibility", 5)
    store.add_vote(F, goal, bo.id, budget=5, cap=2)

    def action(group, text, owner, due, status):
        return card(group, "actions", "actions", text, owner, parent_id=option.id, fields={
            "owner": owner.id, "due": due.isoformat(), "measure": "done", "status": status})

    a1 = action(alpha, "Map the queue", ann, day(20), "not_started")
    a2 = action(alpha, "Try a second counter", bo, day(60), "in_progress")
    b1 = action(beta, "Ask the residents", cy, day(30), "not_started")
    store.update_card(F, a2.id, fields={**a2.fields, "status": "blocked"})

    def report(meeting, group, who, statuses, when):
        store.set_progress_report(F, workshop_id=ws.id, meeting_id=meeting.id, group_id=group.id,
                                  member_id=who.id, done="Some", problems="", help="",
                                  statuses=statuses, at=when)

    report(m1, alpha, ann, {a1.id: ("in_progress", "half way")}, at(10))
    report(m1, beta, cy, {b1.id: ("blocked", "no room")}, at(12))  # typed in two days late
    report(m2, alpha, ann, {a1.id: ("done", "")}, at(40))
    report(m2, alpha, bo, {a2.id: ("done", "")}, at(40))
    report(m2, beta, cy, {b1.id: ("in_progress", "")}, at(40))

    for meeting, who, quality, own in ((m1, ann, 4, 3), (m1, cy, 2, 4), (m2, ann, 5, 5)):
        group = alpha if who is ann else beta
        store.set_reflection(F, workshop_id=ws.id, meeting_id=meeting.id, group_id=group.id,
                             member_id=who.id, quality=quality, own_part=own,
                             improvement="Start on time")
    store.add_decision(F, workshop_id=ws.id, group_id=alpha.id, meeting_id=m2.id,
                       proposal="A second counter", outcome="adopt", reasons="It works",
                       conditions="Review in March")
    store.add_lesson(F, workshop_id=ws.id, stage="tracking", text="Ask early", group_id=alpha.id,
                     meeting_id=m2.id, member_id=ann.id)
    store.set_survey_answers(F, workshop_id=ws.id, survey="satisfaction", member_id=ann.id,
                             group_id=alpha.id, answers={"content": (5, None), "format": (3, None),
                                                         "comment": (None, "More breaks")})
    store.set_survey_answers(F, workshop_id=ws.id, survey="needs", member_id=cy.id,
                             group_id=None, answers={"topic": (2, None)})
    store.set_attendance(F, m1, ann.id, "present")
    store.set_attendance(F, m1, cy.id, "late")
    store.set_attendance(F, m2, bo.id, "absent")
    store.set_assessment_score(F, workshop_id=ws.id, member_id=ann.id, component="coursework",
                               value=80)
    return ws, {"a1": a1.id, "a2": a2.id, "b1": b1.id}, (m1, m2, m3)


@pytest.fixture
def frames(wb, programme):
    ws, _actions, _meetings = programme
    return load_workshop(wb.settings.db_url, ws.code.lower())


def test_every_table_has_its_columns_and_types_also_when_empty(frames):
    assert list(frames) == list(fr.TABLES)
    empty = fr.empty_frames()
    for table, frame in frames.items():
        assert list(frame.columns) == list(empty[table].columns), table
        assert [d.name for d in frame.dtypes] == [d.name for d in empty[table].dtypes], table
    assert len(frames["speaking_turns"]) == 0  # nobody spoke in a round: still every column
    actions = frames["actions"]
    assert {c: actions[c].dtype.name for c in ("due", "owner_id", "owner", "status", "group")} == {
        "due": "datetime64[ns]", "owner_id": "Int64", "owner": "string", "status": "category",
        "group": "category"}
    assert list(actions["status"].cat.categories) == ["not_started", "in_progress", "done", "blocked"]
    assert frames["meetings"]["held_on"].dtype.name == "datetime64[ns]"
    assert frames["members"]["group_id"].dtype.name == "Int64"


def test_rows_carry_group_member_and_meeting_names(frames):
    members = frames["members"].set_index("name")
    assert list(members.index) == ["Ann", "Bo", "Cy", "Di", "Eve"]
    assert members.loc["Ann", "group"] == "Alpha" and members.loc["Cy", "group"] == "Beta"
    assert pd.isna(members.loc["Eve", "group"]) and pd.isna(members.loc["Eve", "group_id"])
    assert list(frames["groups"]["group"]) == ["Alpha", "Beta"]
    actions = frames["actions"].set_index("text")
    assert actions.loc["Ask the residents", ["group", "owner"]].tolist() == ["Beta", "Cy"]
    assert actions.loc["Map the queue", "due"] == stamp(20)
    assert actions.loc["Map the queue", "status"] == "done"
    assert (actions["parent"] == "A second counter at peak hours").all()
    updates = frames["action_updates"]
    assert len(updates) == 9  # three per action: written, then two changes
    assert updates["group"].value_counts().to_dict() == {"Alpha": 6, "Beta": 3}
    assert sorted(updates["meeting_number"].dropna().tolist()) == [1, 1, 2, 2, 2]
    reflections = frames["reflections"]
    assert reflections[["meeting_number", "group", "member", "quality"]].values.tolist() == [
        [1, "Alpha", "Ann", 4], [1, "Beta", "Cy", 2], [2, "Alpha", "Ann", 5]]
    attendance = frames["attendance"]
    assert attendance[["meeting_number", "member", "group", "status"]].values.tolist() == [
        [1, "Ann", "Alpha", "present"], [1, "Cy", "Beta", "late"], [2, "Bo", "Alpha", "absent"]]
    assert frames["decisions"][["group", "meeting_number", "outcome"]].values.tolist() == [
        ["Alpha", 2, "adopt"]]
    assert frames["lessons"][["stage", "group", "member"]].values.tolist() == [
        ["tracking", "Alpha", "Ann"]]
    assert frames["assessment_scores"][["member", "group", "component_title", "value"]].values.tolist() == [
        ["Ann", "Alpha", "Coursework and hours", 80.0]]
    assert len(frames["progress_reports"]) == 5
    assert len(frames["cards"]) == 5 and len(frames["scores"]) == 3


def test_canvas_fields_are_columns_and_scores_are_means(frames):
    goal = frames["goals"].iloc[0]
    assert (goal["group"], goal["level"], goal["measure"], goal["owner"]) == (
        "Alpha", "team", "Minutes waited", "Ann")
    assert goal["deadline"] == stamp(90)
    option = frames["strategies"].iloc[0]
    assert (option["impact"], option["feasibility"], option["raters"]) == (3.0, 5.0, 2)
    assert option["parent"] == "Halve the waiting time"


def test_votes_stay_anonymous_when_the_canvas_says_so(frames):
    votes = frames["votes"]
    assert len(votes) == 1 and votes["card"].iloc[0] == "Halve the waiting time"
    assert votes["member_id"].isna().all() and votes["member"].isna().all()


def test_survey_answers_have_titles_words_and_the_members_group(frames):
    answers = frames["survey_answers"].set_index("question")
    assert answers.loc["content", ["question_title", "answer", "group"]].tolist() == [
        "Content", "Very satisfied", "Alpha"]
    assert bool(answers.loc["content", "satisfied"]) is True
    assert bool(answers.loc["format", "satisfied"]) is False
    assert pd.isna(answers.loc["comment", "satisfied"])
    assert answers.loc["comment", "text"] == "More breaks"
    # Given without a group: the member's group; a choice is its option (1 the first).
    assert answers.loc["topic", ["group", "answer"]].tolist() == [
        "Beta", "Leadership and team management"]


def test_progress_trend_reads_each_actions_status_at_each_meeting(frames):
    trend = fr.progress_trend(frames, today=day(50))
    assert list(trend.columns) == fr.TREND_COLUMNS
    assert trend["meeting_number"].tolist() == [1, 1, 2, 2]  # the meeting on day 100 is ahead
    got = trend[["group", "actions", "not_started", "in_progress", "done", "blocked"]]
    assert got.values.tolist() == [
        ["Alpha", 2, 0, 1, 0, 1],  # a1 in progress, a2 blocked before the meeting
        ["Beta", 1, 0, 0, 0, 1],  # reported at meeting 1, though typed in on day 12
        ["Alpha", 2, 0, 0, 2, 0],
        ["Beta", 1, 0, 1, 0, 0]]
    assert trend["done_share"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert trend["blocked_share"].tolist() == [0.5, 1.0, 0.0, 0.0]
    assert trend["date"].tolist() == [stamp(10), stamp(10), stamp(40), stamp(40)]
    later = fr.progress_trend(frames, today=day(100))
    assert later["meeting_number"].tolist() == [1, 1, 2, 2, 3, 3]
    assert later["done"].tolist()[-2:] == [2, 0]


def test_overdue_as_of_a_day(frames, programme):
    _ws, ids, _meetings = programme
    early = fr.overdue(frames, day(35))
    assert early[["card_id", "status", "days_overdue"]].values.tolist() == [
        [ids["a1"], "in_progress", 15], [ids["b1"], "blocked", 5]]
    late = fr.overdue(frames, day(50))
    assert late[["card_id", "status", "days_overdue"]].values.tolist() == [
        [ids["b1"], "in_progress", 20]]
    assert len(fr.overdue(frames, day(5))) == 0


def test_action_timeline_as_of_a_day(frames, programme):
    _ws, ids, _meetings = programme
    timeline = fr.action_timeline(frames, today=day(50)).set_index("card_id")
    assert list(fr.action_timeline(frames, today=day(50)).columns) == fr.TIMELINE_COLUMNS
    assert timeline.loc[ids["a1"], ["status", "done_on", "due", "overdue"]].tolist() == [
        "done", stamp(40), stamp(20), False]
    assert timeline.loc[ids["a2"], "owner"] == "Bo"
    created = frames["actions"].set_index("card_id")["created_at"].dt.normalize()
    assert (timeline["start"] == created.reindex(timeline.index)).all()
    before = fr.action_timeline(frames, today=day(15)).set_index("card_id")
    assert before["status"].to_dict() == {ids["a1"]: "in_progress", ids["a2"]: "blocked",
                                          ids["b1"]: "blocked"}
    assert before.attrs["today"] == day(15)


def test_several_workshops_one_below_the_other(wb, programme):
    ws, _ids, _meetings = programme
    other = wb.workshops.create("Second", "zh", 1, canvases=["actions"])
    (group,) = wb.workshops.groups(other)
    wb.store.add_member(F, workshop_id=other.id, group_id=group.id, name="林", token_hash=None)
    url = wb.settings.db_url
    both = load_workshops(url)
    assert list(both) == list(fr.TABLES)
    assert list(both["workshops"]["workshop"]) == [ws.code, other.code]
    members = both["members"]
    assert list(members.columns[:2]) == ["workshop", "member_id"]
    assert list(members["workshop"].cat.categories) == [ws.code, other.code]
    assert members.groupby("workshop", observed=True).size().to_dict() == {ws.code: 5, other.code: 1}
    assert list(members["group"].cat.categories) == ["Alpha", "Beta", "第1组"]
    trend = fr.progress_trend(both, today=day(50))
    assert trend.columns[0] == "workshop" and set(trend["workshop"]) == {ws.code}
    only = load_workshops(url, [other.code])
    assert list(only["groups"]["workshop"]) == [other.code] and len(only["actions"]) == 0
    with pytest.raises(NotFound, match="NOPE99"):
        load_workshops(url, ["NOPE99"])


def test_clear_errors_and_the_database_left_as_it_was(tmp_path, wb, programme):
    with pytest.raises(NotFound, match=r"NOPE99.*codes: "):
        load_workshop(wb.settings.db_url, "NOPE99")
    missing = tmp_path / "none" / "missing.db"
    with pytest.raises(StoreError, match="no database file"):
        load_workshop(f"sqlite:///{missing}", "ABC234")
    assert not missing.parent.exists()
    old = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(old)
    migrate.upgrade(engine, "0003")
    with pytest.raises(SchemaOutOfDate, match="actionlab db upgrade"):
        load_workshop(old, "ABC234")
    assert migrate.current_revision(engine) == "0003"  # not upgraded behind anyone's back
    engine.dispose()


def test_importing_actionlab_does_not_import_pandas():
    code = ("import sys, actionlab; print('pandas' in sys.modules); "
            "from actionlab import load_workshop; print('pandas' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT_DIR, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


@pytest.mark.slow  # draws real charts / renders a page: `make test` runs it
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tracking_charts_are_pngs(frames, lang):
    timeline = timeline_chart(fr.action_timeline(frames, day(35)), lang)
    trend = trend_chart(fr.progress_trend(frames, day(50)), lang)
    empty = trend_chart(fr.progress_trend(frames, day(5)), lang)  # no meeting held yet
    for png in (timeline, trend, empty):
        assert png_size(png) == (1600, 900) and len(png) > 20_000
    assert timeline != trend != empty
