"""Meetings of a workshop: the agenda, starting and ending, attendance, who is connected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from ..clock import utcnow
from ..errors import InvalidInput, NotFound
from ..i18n import N_
from ..library import MeetingType
from ..storetypes import RoomEdit
from ..text import line_text
from .access import FACILITATOR, member_actor
from .room import RoomWriter, default_agenda, template_agenda
from .roomstate import Countdown, room_state

if TYPE_CHECKING:
    from ..db.models import Meeting, Member, Workshop

PRESENT, LATE, ABSENT, EXCUSED = "present", "late", "absent", "excused"
STATUSES = (PRESENT, LATE, ABSENT, EXCUSED)
STATUS_TITLES = {
    PRESENT: N_("present"),
    LATE: N_("late"),
    ABSENT: N_("absent"),
    EXCUSED: N_("excused"),
}
#: A page that said it is open within this many seconds counts as connected.
PRESENCE_WINDOW = 45
#: How often an open page says so.
HEARTBEAT_SECONDS = 15


@dataclass(frozen=True)
class AttendanceRow:
    member: Member
    status: str | None  # None: not marked yet
    connected: bool


class MeetingService(RoomWriter):
    def meetings(self, workshop: Workshop) -> list[Meeting]:
        return self.store.find_meetings(workshop.id)

    def current(self, workshop: Workshop) -> Meeting | None:
        """The meeting in the room (the one started last), if any."""
        meeting_id = room_state(workshop).meeting_id
        if not meeting_id:
            return None
        try:
            return self.store.find_meeting(meeting_id)
        except NotFound:
            return None

    def types(self) -> list[MeetingType]:
        """The meeting templates, in programme order."""
        return list(self.library.meeting_types().values())

    def add(self, workshop: Workshop, title: str = "", *, kind: str = "workshop",
            held_on=None) -> Meeting:
        """Schedule a meeting. ``kind`` names a template of data/meetings/ (kickoff,
        group_followup …) whose agenda and time-boxes the meeting takes; any other kind gets
        the default agenda. Without a title a template's own title is used."""
        template = self.library.meeting_types().get(kind)
        title = line_text(title)
        if not title and template is not None:
            title = template.title(workshop.lang)
        if not title:
            raise InvalidInput(N_("Give the meeting a title."))
        if len(title) > 200:
            raise InvalidInput(N_("The title is too long (at most {n} characters)."), n=200)
        if isinstance(held_on, str) and held_on:
            try:
                held_on = date.fromisoformat(held_on)
            except ValueError:
                raise InvalidInput(N_("Write the date as YYYY-MM-DD.")) from None
        steps = (template_agenda(self.library, workshop, kind) if template is not None
                 else default_agenda(workshop))
        agenda = [step.to_dict() for step in steps]
        return self.store.add_meeting(FACILITATOR, workshop_id=workshop.id, kind=kind,
                                      title=title, agenda=agenda, held_on=held_on)

    def start(self, workshop: Workshop, meeting_id: int) -> Workshop:
        """Bring a meeting into the room: first step, rules up, its timer set, queues cleared."""
        meeting = self._meeting(workshop, meeting_id)
        now = utcnow()
        if meeting.started_at is None:
            self.store.update_meeting(FACILITATOR, meeting.id, started_at=now,
                                      held_on=meeting.held_on or now.date(), ended_at=None)
        first = (meeting.agenda or [{}])[0]
        seconds = int(first.get("minutes") or 5) * 60

        def mutate(room: dict) -> RoomEdit:
            room["meeting"] = meeting.id
            room["step"] = {"all": 0, "groups": {}}
            room["rules"] = True
            room["timer"] = {**Countdown(seconds, False, None, float(seconds)).to_dict(),
                             "label": first.get("key", "")}
            room["prompt"] = {**(room.get("prompt") or {}), "open": False}
            room["queues"] = {}
            return RoomEdit({"meeting_id": meeting.id, "number": meeting.number,
                             "title": meeting.title})

        return self._write(workshop, "meeting.start", mutate)

    def end(self, workshop: Workshop) -> Workshop:
        meeting = self.current(self.fresh(workshop))
        if meeting is None:
            raise InvalidInput(N_("No meeting is running."))
        self.store.update_meeting(FACILITATOR, meeting.id, ended_at=utcnow())

        def mutate(room: dict) -> RoomEdit:
            timer = Countdown.from_dict(room.get("timer")).pause(utcnow())
            room["timer"] = {**timer.to_dict(), "label": (room.get("timer") or {}).get("label", "")}
            room["meeting"] = None
            room["rules"] = False
            return RoomEdit({"meeting_id": meeting.id})

        return self._write(workshop, "meeting.end", mutate)

    def _meeting(self, workshop: Workshop, meeting_id) -> Meeting:
        try:
            meeting = self.store.find_meeting(int(meeting_id))
        except (NotFound, TypeError, ValueError):
            raise InvalidInput(N_("Choose a meeting.")) from None
        if meeting.workshop_id != workshop.id:
            raise InvalidInput(N_("Choose a meeting."))
        return meeting

    # -- attendance ----------------------------------------------------------------------
    def attendance(self, workshop: Workshop, meeting: Meeting) -> list[AttendanceRow]:
        marks = {a.member_id: a.status for a in self.store.find_attendance(meeting.id)}
        members = self.store.find_members(workshop.id)
        online = self.connected(members)
        return [AttendanceRow(m, marks.get(m.id), m.id in online) for m in members]

    def mark(self, workshop: Workshop, member_id: int, status: str | None) -> None:
        meeting = self.current(self.fresh(workshop))
        if meeting is None:
            raise InvalidInput(N_("Start a meeting first: attendance is taken per meeting."))
        if status is not None and status not in STATUSES:
            raise InvalidInput(N_("Choose present, late, absent or excused."))
        member = self.store.find_member(member_id)
        if member.workshop_id != workshop.id:
            raise InvalidInput(N_("Choose a member of the group."))
        self.store.set_attendance(FACILITATOR, meeting, member_id, status)

    def mark_connected_present(self, workshop: Workshop) -> int:
        """Everyone whose page is open and who is not marked yet counts as present."""
        meeting = self.current(self.fresh(workshop))
        if meeting is None:
            raise InvalidInput(N_("Start a meeting first: attendance is taken per meeting."))
        members = self.store.find_members(workshop.id)
        online = self.connected(members)
        return sum(self.store.set_attendance(FACILITATOR, meeting, m.id, PRESENT,
                                             only_if_unmarked=True)
                   for m in members if m.id in online)

    # -- presence ------------------------------------------------------------------------
    def heartbeat(self, workshop: Workshop, member: Member, *, mark: bool = True) -> int | None:
        """The member's page is open: note it; with ``mark``, also mark them present at the
        running meeting unless the facilitator already marked them. Returns the meeting's id
        when attendance was checked (a page then stops asking for that meeting)."""
        self.store.touch_member(member.id)
        if not mark:
            return None
        meeting = self.current(workshop)
        if meeting is None or meeting.ended_at is not None:
            return None
        self.store.set_attendance(member_actor(member.id), meeting, member.id, PRESENT,
                                  only_if_unmarked=True)
        return meeting.id

    @staticmethod
    def connected(members: list[Member], now=None) -> set[int]:
        now = now or utcnow()
        window = timedelta(seconds=PRESENCE_WINDOW)
        return {m.id for m in members if m.last_seen is not None and now - m.last_seen <= window}
