"""Traceability: one group's chain from its key problem to goals, strategies, actions, what
happened to each action (status history, the owner's progress reports) and the group's lessons.

Cards link through ``Card.parent_id`` along the levels below (the same chain the strategy map
draws). A card of those canvases whose link is missing, or points outside the group's chain,
is listed under an "unlinked" node with what hangs below it, so nothing is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..i18n import N_, translator
from ..library import Library
from ..record import TraceLine
from ..rows import model_name
from .access import FACILITATOR
from .programme import local_day
from .progress import ProgressService, owner_id

#: (node kind, canvas, column), from the key problem down to the actions.
LEVELS = (
    ("problem", "restructure", "key_problem"),
    ("goal", "goals", "goals"),
    ("strategy", "strategy", "options"),
    ("action", "actions", "actions"),
)

if TYPE_CHECKING:
    from ..db.models import ActionUpdate, Card, ProgressReport, Workshop
    from ..store import Store
KINDS = {
    "group": N_("Group"),
    "problem": N_("Key problem"),
    "goal": N_("Goal"),
    "strategy": N_("Strategy"),
    "action": N_("Action"),
    "status": N_("Status change"),
    "report": N_("Progress report"),
    "lesson": N_("Lesson learned"),
    "unlinked": N_("Not linked to the chain"),
}


@dataclass
class TraceNode:
    """A node of the chain. ``row`` is the card, status change, report or lesson behind it."""

    kind: str  # one of KINDS
    text: str = ""
    row: object = None
    children: list[TraceNode] = field(default_factory=list)

    @property
    def decided(self) -> bool:
        return model_name(self.row) == "Card" and bool(self.row.decided)

    def walk(self, level: int = 0):
        """(level, node) of every node below this one, depth-first."""
        for child in self.children:
            yield level, child
            yield from child.walk(level + 1)


class TraceService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    def chain(self, workshop: Workshop, group_id: int) -> TraceNode:
        """The group's chain: its key problems (agreed first), then what was not linked, then
        its lessons."""
        group = next((g for g in self.store.find_groups(workshop.id) if g.id == group_id), None)
        if group is None:
            raise InvalidInput(N_("Choose a group."))
        cards = self.store.find_cards(workshop.id, group_id=group_id)
        levels = [[c for c in cards if c.canvas == canvas and c.column == column]
                  for _kind, canvas, column in LEVELS]
        levels[0].sort(key=lambda c: not c.decided)
        updates: dict[int, list[ActionUpdate]] = {}
        for update in self.store.find_action_updates(workshop.id, group_id=group_id):
            updates.setdefault(update.card_id, []).append(update)
        reports = self.store.find_progress_reports(workshop.id, group_id=group_id)
        used: set[int] = set()

        def grow(card: Card, level: int) -> TraceNode:
            used.add(card.id)
            node = TraceNode(LEVELS[level][0], card.text, card)
            if level + 1 < len(LEVELS):
                node.children = [grow(c, level + 1) for c in levels[level + 1]
                                 if c.parent_id == card.id and c.id not in used]
            else:
                node.children = self._action_children(card, updates.get(card.id, []), reports)
            return node

        root = TraceNode("group", group.name, group)
        root.children = [grow(c, 0) for c in levels[0]]
        unlinked = TraceNode("unlinked")
        for level in range(1, len(LEVELS)):
            unlinked.children += [grow(c, level) for c in levels[level] if c.id not in used]
        if unlinked.children:
            root.children.append(unlinked)
        root.children += [TraceNode("lesson", lesson.text, lesson)
                          for lesson in self.store.find_lessons(workshop.id, group_id=group_id)]
        return root

    @staticmethod
    def _action_children(card: Card, updates: list[ActionUpdate],
                         reports: list[ProgressReport]) -> list[TraceNode]:
        """The action's status history, then the progress reports of its owner (and any other
        report that changed its status), oldest first."""
        owner = owner_id(card)
        via = {u.report_id for u in updates if u.report_id}
        mine = [r for r in reports if r.id in via or (owner is not None and r.member_id == owner)]
        return ([TraceNode("status", u.status, u) for u in updates]
                + [TraceNode("report", r.done, r) for r in sorted(mine, key=_when)])

    # -- words ---------------------------------------------------------------------------
    def describer(self, workshop: Workshop, lang: str | None = None):
        """A function giving ``(label, text, detail)`` of a node in ``lang``."""
        lang = lang or workshop.lang
        _ = translator(lang)
        names = {m.id: m.name for m in self.store.find_members(workshop.id)}
        meetings = {m.id: _("Meeting {number}", number=m.number)
                    for m in self.store.find_meetings(workshop.id)}
        statuses = self.status_titles(lang)
        stages = {s.key: s.title(lang) for s in self.library.items("stages")}

        def day(value) -> str:
            found = local_day(value)
            return found.isoformat() if found else ""

        def describe(node: TraceNode) -> tuple[str, str, str]:
            row, facts = node.row, []
            text = node.text
            if node.kind == "action":
                fields = row.fields or {}
                if owner_id(row) is not None:
                    facts.append(_("Owner: {name}", name=names.get(owner_id(row), _("(left)"))))
                if fields.get("due"):
                    facts.append(_("Due: {date}", date=fields["due"]))
                facts.append(_("Status: {status}", status=statuses.get(
                    fields.get("status") or "not_started", fields.get("status"))))
            elif node.kind == "status":
                after = statuses.get(row.status, row.status)
                text = (_("{before} → {after}", before=statuses.get(row.before, row.before),
                          after=after) if row.before else after)
                facts += [day(row.at), meetings.get(row.meeting_id, "")]
                if row.note:
                    facts.append(_("Note: {text}", text=row.note))
            elif node.kind == "report":
                text = row.done or "—"
                facts += [names.get(row.member_id, _("(left)")), meetings.get(row.meeting_id, ""),
                          day(row.updated_at)]
                if row.problems:
                    facts.append(_("Problems met: {text}", text=row.problems))
                if row.help:
                    facts.append(_("Help needed: {text}", text=row.help))
            elif node.kind == "lesson":
                facts += [stages.get(row.stage, row.stage), author(row.author, _), day(row.at)]
            return _(KINDS[node.kind]), text, " · ".join(f for f in facts if f)

        return describe

    def status_titles(self, lang: str) -> dict[str, str]:
        return ProgressService(self.store, self.library).status_titles(lang)

    def trace_lines(self, workshop: Workshop, group_id: int, lang: str | None = None) -> list[TraceLine]:
        """The chain as an indented flat list (``level`` 0 for the key problems)."""
        describe = self.describer(workshop, lang)
        lines = []
        for level, node in self.chain(workshop, group_id).walk():
            label, text, detail = describe(node)
            lines.append(TraceLine(level, node.kind, label, text, detail, node.decided))
        return lines


def author(name: str, _) -> str:
    """Who wrote a lesson: a member's name, or the translated word for the facilitator."""
    return _("Facilitator") if name == FACILITATOR else name


def _when(report: ProgressReport) -> datetime:
    return report.created_at or report.updated_at


__all__ = ["KINDS", "LEVELS", "TraceNode", "TraceService"]
