"""Progress between meetings (stage 5 tracking included): members report on their sub-task
and actions, action statuses change from those reports, open and overdue actions.

An action is a card of the ``actions`` canvas; its ``owner`` field holds a member id, ``due``
an ISO date and ``status`` one of :data:`STATUSES`. Every status change is kept as history
(:class:`actionlab.db.models.ActionUpdate`), so the state of the plan at any date can be
rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..i18n import N_
from ..library import Library
from ..text import block_text
from .access import member_actor
from .roomstate import room_state

if TYPE_CHECKING:
    from ..db.models import ActionUpdate, Card, Member, ProgressReport, Workshop
    from ..store import Store

ACTIONS = "actions"
NOT_STARTED, IN_PROGRESS, DONE, BLOCKED = "not_started", "in_progress", "done", "blocked"
STATUSES = (NOT_STARTED, IN_PROGRESS, DONE, BLOCKED)
#: Longest text of a report field.
TEXT_LIMIT = 2000


def due_date(card: Card) -> date | None:
    raw = (card.fields or {}).get("due")
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def owner_id(card: Card) -> int | None:
    raw = (card.fields or {}).get("owner")
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def status_of(card: Card) -> str:
    return str((card.fields or {}).get("status") or NOT_STARTED)


@dataclass(frozen=True)
class ActionRow:
    """An action as the follow-up views show it."""

    card: Card
    owner_id: int | None
    due: date | None
    status: str
    overdue: bool
    last: ActionUpdate | None  # the latest status change, if any

    @property
    def open(self) -> bool:
        return self.status != DONE


def clean_text(text: str | None) -> str:
    text = block_text(text)
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(N_("The text is too long (at most {n} characters)."), n=TEXT_LIMIT)
    return text


class ProgressService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    def status_titles(self, lang: str) -> dict[str, str]:
        field = self.library.canvas(ACTIONS).column(ACTIONS).field("status")
        return {key: field.option_title(key, lang) for key in STATUSES}

    # -- the actions ---------------------------------------------------------------------
    def actions(self, workshop: Workshop, group_id: int | None = None, *,
                today: date | None = None) -> list[ActionRow]:
        today = today or date.today()
        cards = [c for c in self.store.find_cards(workshop.id, group_id=group_id, canvas=ACTIONS)
                 if c.column == ACTIONS]
        latest: dict[int, ActionUpdate] = {}
        for update in self.store.find_action_updates(workshop.id, group_id=group_id):
            latest[update.card_id] = update
        rows = []
        for card in cards:
            due, status = due_date(card), status_of(card)
            rows.append(ActionRow(card, owner_id(card), due, status,
                                  due is not None and due < today and status != DONE,
                                  latest.get(card.id)))
        return rows

    def my_actions(self, workshop: Workshop, member: Member) -> list[ActionRow]:
        """The member's own actions, then the group's actions nobody owns."""
        rows = self.actions(workshop, member.group_id)
        return ([r for r in rows if r.owner_id == member.id]
                + [r for r in rows if r.owner_id is None])

    def open_actions(self, workshop: Workshop, group_id: int | None = None,
                     *, today: date | None = None) -> list[ActionRow]:
        """What is still open: overdue first, then by due date."""
        rows = [r for r in self.actions(workshop, group_id, today=today) if r.open]
        return sorted(rows, key=lambda r: (not r.overdue, r.due or date.max, r.card.id))

    def overdue(self, workshop: Workshop, group_id: int | None = None,
                *, today: date | None = None) -> list[ActionRow]:
        return [r for r in self.open_actions(workshop, group_id, today=today) if r.overdue]

    def history(self, workshop: Workshop, card_id: int) -> list[ActionUpdate]:
        return self.store.find_action_updates(workshop.id, card_id=card_id)

    # -- reports -------------------------------------------------------------------------
    def report(self, workshop: Workshop, member: Member, *, done: str, problems: str = "",
               help: str = "", statuses: dict[int, str] | None = None,
               notes: dict[int, str] | None = None) -> ProgressReport:
        """The member's progress report at the running meeting (a second one replaces the
        first), with the new status of their actions."""
        meeting_id = room_state(self.store.find_workshop_by_id(workshop.id)).meeting_id
        if not meeting_id:
            raise InvalidInput(N_("Reports are given at a meeting: wait until the facilitator starts one."))
        if member.group_id is None:
            raise InvalidInput(N_("You are not in a group yet."))
        done, problems, help = clean_text(done), clean_text(problems), clean_text(help)
        if not (done or problems or help):
            raise InvalidInput(N_("Write what you did, a problem you met or the help you need."))
        mine = {r.card.id: r for r in self.my_actions(workshop, member)}
        changes: dict[int, tuple[str, str]] = {}
        for card_id, status in (statuses or {}).items():
            row = mine.get(int(card_id))
            if row is None:
                raise InvalidInput(N_("You can report only on your own actions or your group's unowned ones."))
            if status not in STATUSES:
                raise InvalidInput(N_("Choose a status from the list."))
            note = clean_text((notes or {}).get(card_id, ""))
            if status != row.status or note:
                changes[row.card.id] = (status, note)
        return self.store.set_progress_report(
            member_actor(member.id), workshop_id=workshop.id, meeting_id=meeting_id,
            group_id=member.group_id, member_id=member.id, done=done, problems=problems,
            help=help, statuses=changes)

    def my_report(self, workshop: Workshop, member: Member) -> ProgressReport | None:
        meeting_id = room_state(workshop).meeting_id
        if not meeting_id:
            return None
        for report in self.store.find_progress_reports(workshop.id, meeting_id=meeting_id):
            if report.member_id == member.id:
                return report
        return None

    def reports(self, workshop: Workshop, meeting_id: int | None = None,
                group_id: int | None = None) -> list[ProgressReport]:
        return self.store.find_progress_reports(workshop.id, meeting_id=meeting_id,
                                                group_id=group_id)

    def previous_meeting(self, workshop: Workshop, meeting_id: int | None):
        """The meeting held before ``meeting_id`` (the last one when None)."""
        meetings = [m for m in self.store.find_meetings(workshop.id) if m.started_at is not None]
        if meeting_id is not None:
            numbers = {m.id: m.number for m in self.store.find_meetings(workshop.id)}
            meetings = [m for m in meetings if m.number < numbers.get(meeting_id, 0)]
        return meetings[-1] if meetings else None
