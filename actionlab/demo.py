"""The demo workshop: three groups whose canvases are filled from topic choice to action plan.

Everything comes from ``data/samples/demo.yaml``. A card there may carry ``fields``, a
``parent`` (``column#n`` or ``canvas.column#n``: the n-th card of that column, from 0),
``decided``, ``votes`` (voters by member index), ``scores`` (criterion → one score per member
index, ``null`` for none) and ``hands`` (fist-to-five per member index).
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from .db.models import Card, SpeakingTurn, Workshop, utcnow
from .paths import DATA_DIR
from .services import Workbook
from .services.access import hash_secret, new_secret
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


def create_demo(workbook: Workbook, lang: str = "zh") -> Workshop:
    data = _demo_data()
    groups = data["groups"]
    ws = workbook.workshops.create(data["title"][lang], lang, len(groups), is_demo=True,
                                   actor="demo", group_names=[g["name"][lang] for g in groups],
                                   canvases=data.get("canvases", ["restructure"]))
    store = workbook.store
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
                        _card(workbook, ws, group.id, canvas, column, card, members, made, lang))
    for canvas, columns in (data.get("reveal") or {}).items():
        for column in columns:
            ws = workbook.canvas.reveal(ws, canvas, column)
    for spec in data.get("meetings") or []:
        ws = _meeting(workbook, ws, spec, lang)
    return ws


def _meeting(workbook: Workbook, ws: Workshop, spec: dict, lang: str) -> Workshop:
    """A meeting already held: who came, a speaking round per group, the questions put."""
    meeting = workbook.meetings.add(ws, spec["title"][lang])
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
    return workbook.meetings.end(ws)


def _card(workbook: Workbook, ws: Workshop, group_id: int, canvas: str, column: str, spec: dict,
          members, made, lang: str) -> Card:
    parent_id = None
    if spec.get("parent"):
        ref, _, index = spec["parent"].partition("#")
        where = tuple(ref.split(".")) if "." in ref else (canvas, ref)
        parent_id = made[where][int(index or 0)].id
    fields = {k: (members[v].id if isinstance(v, int) and k in ("owner",) else _text(v, lang))
              for k, v in (spec.get("fields") or {}).items()}
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
