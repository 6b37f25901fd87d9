"""The demo workshop: three groups several months into their programme, their canvases filled
from topic choice to action plan, seven meetings held (progress reports, reviews, lessons, a
decision meeting, surveys) and the next one scheduled.

Everything comes from ``data/samples/demo.yaml``; times count from the programme's start,
``start_days_ago`` days before the demo is made, so the demo is always "several months in". A card there may carry ``fields``, a
``parent`` (``column#n`` or ``canvas.column#n``: the n-th card of that column, from 0),
``decided``, ``votes`` (voters by member index), ``scores`` (criterion → one score per member
index, ``null`` for none) and ``hands`` (fist-to-five per member index).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from functools import lru_cache

import yaml

from .db.models import Card, Member, SpeakingTurn, Workshop, utcnow
from .paths import DATA_DIR
from .services import Workbook
from .services.access import FACILITATOR, hash_secret, member_actor, new_secret
from .services.canvas import FACILITATOR_AUTHOR, Author
from .services.scoring import CONSENSUS
from .store import RoomEdit

DEMO_FILE = DATA_DIR / "samples" / "demo.yaml"
PROFILE = ("unit", "department", "profession", "level", "gender", "age_band")


@lru_cache(maxsize=1)
def _demo_data() -> dict:
    with DEMO_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def find_demo(workbook: Workbook) -> Workshop | None:
    demos = [w for w in workbook.workshops.all() if w.is_demo]
    return demos[-1] if demos else None


def _text(value, lang: str):
    return value.get(lang, value.get("en")) if isinstance(value, dict) else value


class Clock:
    """Days from the programme's start, as stored times (UTC, naive)."""

    def __init__(self, days_ago: int):
        now = utcnow()
        self.start = datetime(now.year, now.month, now.day) - timedelta(days=days_ago)

    def __call__(self, day: int, hour: int = 9) -> datetime:
        return self.start + timedelta(days=day, hours=hour)

    def date(self, day: int) -> str:
        return self(day).date().isoformat()


def create_demo(workbook: Workbook, lang: str = "zh", data: dict | None = None) -> Workshop:
    """The demo workshop from ``data/samples/demo.yaml``, or from ``data`` in the same format
    (the export benchmark passes a larger, generated workshop)."""
    data = data if data is not None else _demo_data()
    groups = data["groups"]
    clock = Clock(int(data.get("start_days_ago", 0)))
    ws = workbook.workshops.create(data["title"][lang], lang, len(groups), is_demo=True,
                                   actor="demo", group_names=[g["name"][lang] for g in groups],
                                   canvases=data.get("canvases", ["restructure"]))
    store = workbook.store
    actions: dict[int, list[Card]] = {}
    for canvas, rules in (data.get("vote_rules") or {}).items():
        ws = workbook.voting.set_rules(ws, canvas, **rules)
    for group, spec in zip(workbook.workshops.groups(ws), groups, strict=True):
        members = [
            store.add_member("demo", workshop_id=ws.id, group_id=group.id, name=m[lang],
                             token_hash=hash_secret(new_secret()), role=m.get("role", "member"),
                             subtask=_text(m.get("subtask"), lang),
                             **{k: _text(m[k], lang) for k in PROFILE if k in m})
            for m in spec["members"]
        ]
        boards = {"restructure": spec.get("cards", {})}
        boards.update({k: v for k, v in spec.items() if k in ws.canvases})
        made: dict[tuple[str, str], list[Card]] = {}
        for canvas in ws.canvases:  # in workshop order, so links point backwards
            for column, cards in (boards.get(canvas) or {}).items():
                for card in cards:
                    made.setdefault((canvas, column), []).append(
                        _card(workbook, ws, group.id, canvas, column, card, members, made, lang,
                              clock))
        actions[group.id] = made.get(("actions", "actions"), [])
    for canvas, columns in (data.get("reveal") or {}).items():
        for column in columns:
            ws = workbook.canvas.reveal(ws, canvas, column)
    _backdate(workbook, ws, clock)
    for spec in data.get("meetings") or []:
        ws = _meeting(workbook, ws, spec, lang, clock, actions, data.get("improvements") or [])
    if data.get("next_meeting"):
        nxt = data["next_meeting"]
        workbook.meetings.add(ws, kind=nxt["kind"], held_on=clock(nxt["day"]).date())
    _assessment(workbook, ws)
    return ws


def _backdate(workbook: Workbook, ws: Workshop, clock: Clock) -> None:
    """People joined and the canvases were filled at the start, not when the demo was made:
    topics on the first day, the rest at the first workshop (day 21)."""
    store = workbook.store
    store.set_times("demo", ws.id, "members", [m.id for m in store.find_members(ws.id)],
                    joined_at=clock(4))
    cards = store.find_cards(ws.id)
    for ids, day in (([c.id for c in cards if c.canvas == "topic"], 1),
                     ([c.id for c in cards if c.canvas != "topic"], 21)):
        store.set_times("demo", ws.id, "cards", ids, created_at=clock(day, 10),
                        updated_at=clock(day, 10))
    store.set_times("demo", ws.id, "action_updates",
                    [u.id for u in store.find_action_updates(ws.id)], at=clock(21, 10))


def _meeting(workbook: Workbook, ws: Workshop, spec: dict, lang: str, clock: Clock,
             actions: dict[int, list[Card]], ideas: list) -> Workshop:
    """A meeting already held on its day: who came, a speaking round per group, the questions
    put, the progress reports, the reviews, lessons, decisions and surveys."""
    day = int(spec.get("day", 0))
    title = spec["title"][lang] if spec.get("title") else ""
    meeting = workbook.meetings.add(ws, title, kind=spec.get("kind", "workshop"),
                                    held_on=clock(day).date())
    ws = workbook.meetings.start(ws, meeting.id)
    groups = workbook.workshops.groups(ws)
    members = workbook.workshops.members(ws)
    for group, marks in zip(groups, spec.get("attendance") or [], strict=False):
        mine = [m for m in members if m.group_id == group.id]
        for index, member in enumerate(mine):
            workbook.meetings.mark(ws, member.id, marks.get(index, "present"))
    for question in spec.get("questions") or []:
        target = question.get("group")
        ws = workbook.questions.push(ws, key=question["key"], lang=lang,
                                     group_id=groups[target].id if target is not None else None)
    allotted = int(spec.get("round_seconds", 120))
    now = utcnow()
    for group, spoken in zip(groups, spec.get("rounds") or [], strict=False):
        mine = [m for m in members if m.group_id == group.id]
        turns = [SpeakingTurn(workshop_id=ws.id, meeting_id=meeting.id, group_id=group.id,
                              member_id=m.id, member_name=m.name, allotted=allotted,
                              spoken=seconds or 0, skipped=seconds is None,
                              reason="passed" if seconds is None else None,
                              started_at=None if seconds is None else now, ended_at=now)
                 for m, seconds in zip(mine, spoken, strict=False)]
        edit = RoomEdit({"recorded": len(turns)}, turns)
        ws = workbook.store.update_room("demo", ws.id, "round.end", lambda room, e=edit: e,
                                        group_id=group.id)
    workbook.questions.clear(ws)
    turns = workbook.store.find_turns(ws.id, meeting_id=meeting.id)
    workbook.store.set_times("demo", ws.id, "speaking_turns", [t.id for t in turns],
                             ended_at=clock(day, 10))
    at = clock(day, 11)
    by_group = {g.id: [m for m in members if m.group_id == g.id] for g in groups}
    for group, reports in zip(groups, spec.get("reports") or [], strict=False):
        for report in reports:
            _report(workbook, ws, meeting.id, group.id, by_group[group.id][report["by"]],
                    report, actions[group.id], lang, at)
    absent = {(gi, int(i)) for gi, marks in enumerate(spec.get("attendance") or [])
              for i, status in marks.items() if status in ("absent", "excused")}
    for gi, (group, base) in enumerate(zip(groups, spec.get("reviews") or [], strict=False)):
        for i, member in enumerate(by_group[group.id]):
            if (gi, i) in absent:
                continue
            quality = max(1, min(5, base + (0, -1, 0, 1)[(i + day) % 4]))
            own = max(1, min(5, base - (i + gi) % 2))
            idea = ideas[(i + gi + day) % len(ideas)][lang] if ideas else ""
            workbook.store.set_reflection(member_actor(member.id), workshop_id=ws.id,
                                          meeting_id=meeting.id, group_id=group.id,
                                          member_id=member.id, quality=quality, own_part=own,
                                          improvement=idea, at=clock(day, 16))
    for lesson in spec.get("lessons") or []:
        group = groups[lesson["group"]] if lesson.get("group") is not None else None
        workbook.store.add_lesson(FACILITATOR, workshop_id=ws.id, stage=lesson["stage"],
                                  text=lesson[lang], group_id=group.id if group else None,
                                  meeting_id=meeting.id, at=clock(day, 16))
    for group, decision in zip(groups, spec.get("decisions") or [], strict=False):
        workbook.store.add_decision(FACILITATOR, workshop_id=ws.id, group_id=group.id,
                                    meeting_id=meeting.id,
                                    proposal=workbook.decisions.proposal(ws, group.id),
                                    outcome=decision["outcome"], reasons=decision["reasons"][lang],
                                    conditions=_text(decision.get("conditions") or "", lang),
                                    at=clock(day, 12))
    for key, per_group in (spec.get("surveys") or {}).items():
        _survey(workbook, ws, key, groups, by_group, per_group, clock(day, 15))
    ws = workbook.meetings.end(ws)
    workbook.store.update_meeting("demo", meeting.id, started_at=clock(day, 9),
                                  ended_at=clock(day, 17))
    return ws


def _report(workbook: Workbook, ws: Workshop, meeting_id: int, group_id: int, member: Member,
            spec: dict, actions: list[Card], lang: str, at: datetime) -> None:
    statuses = {actions[int(i)].id: (status, "") for i, status in (spec.get("actions") or {}).items()}
    workbook.store.set_progress_report(
        member_actor(member.id), workshop_id=ws.id, meeting_id=meeting_id, group_id=group_id,
        member_id=member.id, done=_text(spec.get("done") or "", lang),
        problems=_text(spec.get("problems") or "", lang), help=_text(spec.get("help") or "", lang),
        statuses=statuses, at=at)


def _survey(workbook: Workbook, ws: Workshop, key: str, groups, by_group, per_group,
            at: datetime) -> None:
    """Answers to a survey: per group, either one list per question (a value per member) or
    one list per member (an answer per question)."""
    form = workbook.library.survey(key)
    asked = [q for q in form.questions if q.type != "text"]
    for group, values in zip(groups, per_group, strict=False):
        members = by_group[group.id]
        if asked[0].type == "likert":  # one row per question
            rows = [[row[i] for row in values] for i in range(len(members))]
        else:  # one row per member: option keys → their 1-based position
            rows = [[[o.key for o in q.options].index(v) + 1 for q, v in zip(asked, row, strict=False)]
                    for row in values]
        for member, row in zip(members, rows, strict=False):
            workbook.store.set_survey_answers(
                member_actor(member.id), workshop_id=ws.id, survey=key, member_id=member.id,
                group_id=group.id, at=at,
                answers={q.key: (int(v), None) for q, v in zip(asked, row, strict=False)})


def _assessment(workbook: Workbook, ws: Workshop) -> None:
    """Member assessment scores (0–100) on each component, the same every time."""
    rng = random.Random(ws.title)
    components = [c.key for c in workbook.library.items("assessment")]
    for member in workbook.store.find_members(ws.id):
        for component in components:
            workbook.store.set_assessment_score(FACILITATOR, workshop_id=ws.id,
                                                member_id=member.id, component=component,
                                                value=rng.randint(68, 96))


def _card(workbook: Workbook, ws: Workshop, group_id: int, canvas: str, column: str, spec: dict,
          members, made, lang: str, clock: Clock) -> Card:
    parent_id = None
    if spec.get("parent"):
        ref, _, index = spec["parent"].partition("#")
        where = tuple(ref.split(".")) if "." in ref else (canvas, ref)
        parent_id = made[where][int(index or 0)].id
    fields = {k: (members[v].id if isinstance(v, int) and k == "owner"
                  else clock.date(v) if isinstance(v, int) and k == "due" else _text(v, lang))
              for k, v in (spec.get("fields") or {}).items()}
    if canvas == "actions" and "status" not in fields:
        fields["status"] = "not_started"
    author = Author(members[spec["by"]])
    card = workbook.canvas.add_card(author, ws, group_id, canvas, column, spec[lang],
                                    fields=fields, parent_id=parent_id)
    for voter in spec.get("votes") or []:
        workbook.voting.vote(Author(members[voter]), card.id)
    for criterion, values in (spec.get("scores") or {}).items():
        for who, value in enumerate(values):
            if value is not None:
                workbook.scoring.score(Author(members[who]), card.id, criterion, value)
    for who, hand in enumerate(spec.get("hands") or []):
        if hand is not None:
            workbook.scoring.score(Author(members[who]), card.id, CONSENSUS, hand)
    if spec.get("decided"):
        card = workbook.canvas.decide(FACILITATOR_AUTHOR, card.id)
    return card
