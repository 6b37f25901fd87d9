"""The stage-6 case write-up (案例): how a group worked its problem through, from the topic it
took on to the results and the lessons, put together from what the group recorded.

Each part comes from the canvases: the chosen topic (background), the problem as first stated
and as agreed after restructuring, the goals, the strategies (the agreed ones when the group
agreed any), the action plan with owners, due dates and statuses, then the results (decisions,
how many actions are done, what members reported done) and the group's lessons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..record import CaseAction, CaseRecord
from .programme import OUTCOME_TITLES
from .progress import owner_id, status_of
from .trace import TraceService

if TYPE_CHECKING:
    from ..db.models import Card, Workshop
    from ..store import Store

#: (part, canvas, column) of the case write-up, read from the cards.
PARTS = {
    "topic": ("topic", "candidates"),
    "first_stated": ("restructure", "original"),
    "restated": ("restructure", "key_problem"),
    "goals": ("goals", "goals"),
    "strategies": ("strategy", "options"),
}
ACTIONS = ("actions", "actions")
DONE = "done"


def _texts(cards: list[Card], canvas: str, column: str, *, agreed_first: bool = True) -> tuple[str, ...]:
    """The texts of a column: the agreed cards when there are any, else every card."""
    mine = [c for c in cards if c.canvas == canvas and c.column == column]
    if agreed_first and any(c.decided for c in mine):
        mine = [c for c in mine if c.decided]
    return tuple(c.text for c in mine)


class CaseService:
    def __init__(self, store: Store, library, trace: TraceService):
        self.store = store
        self.library = library
        self.trace = trace

    def build(self, ws: Workshop, groups, members, cards: list[Card], _) -> list[CaseRecord]:
        """One case per group in ``groups``."""
        names = {m.id: m.name for m in members}
        statuses = self.trace.status_titles(ws.lang)
        decisions = self.store.find_decisions(ws.id)
        reports = self.store.find_progress_reports(ws.id)
        lessons = self.store.find_lessons(ws.id)
        out = []
        for g in groups:
            mine = [c for c in cards if c.group_id == g.id]
            parts = {key: _texts(mine, canvas, column, agreed_first=key != "first_stated")
                     for key, (canvas, column) in PARTS.items()}
            actions = [c for c in mine if (c.canvas, c.column) == ACTIONS]
            plan = [CaseAction(c.text, names.get(owner_id(c), ""),
                               str((c.fields or {}).get("due") or ""),
                               statuses.get(status_of(c), status_of(c)))
                    for c in actions]
            results = []
            done = sum(1 for c in actions if status_of(c) == DONE)
            if actions:
                results.append(_("{done} of {n} actions done", done=done, n=len(actions)))
            for d in decisions:
                if d.group_id == g.id:
                    line = _("Decision: {outcome}", outcome=_(OUTCOME_TITLES.get(d.outcome, d.outcome)))
                    results.append(f"{line} — {d.reasons}" if d.reasons else line)
            results += [_("{name}: {done}", name=names.get(r.member_id, "?"), done=r.done)
                        for r in reports if r.group_id == g.id and r.done]
            out.append(CaseRecord(
                number=g.number, name=g.name,
                members=tuple(m.name for m in members if m.group_id == g.id),
                topic=parts["topic"], first_stated=parts["first_stated"],
                restated=parts["restated"], goals=parts["goals"],
                strategies=parts["strategies"], actions=plan, results=tuple(results),
                lessons=tuple(x.text for x in lessons if x.group_id == g.id)))
        return out
