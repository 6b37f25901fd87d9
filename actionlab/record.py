"""The session record: a plain snapshot of a workshop that every exporter renders.

Built from the store by :func:`actionlab.services.records.build_record`; exporters only read
these dataclasses, so a new format never touches the database. Texts typed by people are kept
raw here; every exporter escapes them for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class CardRecord:
    id: int
    column: str  # column key in the canvas definition, e.g. "symptoms"
    text: str
    author: str  # member name, or the translated word for the facilitator
    created_at: datetime
    updated_at: datetime
    #: What the column adds to the text, as (label, value) in the workshop's language:
    #: typed fields, the card it links to, votes, scores, fist-to-five.
    details: tuple[tuple[str, str], ...] = ()
    decided: bool = False  # agreed / chosen by the group


@dataclass(frozen=True)
class MapLine:
    """One line of a map drawn through card links (strategy map), depth-first."""

    level: int
    kind: str  # the column title ("Goals")
    text: str
    decided: bool = False


@dataclass(frozen=True)
class ColumnRecord:
    key: str
    title: str  # in the workshop's language
    cards: list[CardRecord] = field(default_factory=list)


@dataclass(frozen=True)
class CanvasRecord:
    key: str  # e.g. "restructure"
    title: str
    columns: list[ColumnRecord] = field(default_factory=list)
    #: (first stated, agreed) texts when the canvas compares two columns (restructuring).
    compare: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    compare_titles: tuple[str, str] = ("", "")
    map: list[MapLine] = field(default_factory=list)

    @property
    def card_count(self) -> int:
        return sum(len(c.cards) for c in self.columns)


@dataclass(frozen=True)
class MemberRecord:
    name: str
    role: str  # translated role title
    joined_at: datetime | None
    subtask: str = ""  # the member's own sub-task (子课题)


@dataclass(frozen=True)
class GroupRecord:
    number: int
    name: str
    members: list[MemberRecord] = field(default_factory=list)
    canvases: list[CanvasRecord] = field(default_factory=list)


@dataclass(frozen=True)
class AttendanceRecord:
    name: str
    group: str  # the group's name
    status: str  # translated ("present" …), or the translated word for "not marked"


@dataclass(frozen=True)
class MeetingRecord:
    number: int
    title: str
    held_on: date | None
    started_at: datetime | None
    ended_at: datetime | None
    #: Every member when attendance was taken at this meeting, else empty.
    attendance: list[AttendanceRecord] = field(default_factory=list)


@dataclass(frozen=True)
class AirtimeRecord:
    """One member's time in the speaking rounds. Durations are shown as ``m:ss``."""

    name: str
    turns: int
    skipped: int
    seconds: int  # spoken, in all rounds
    spoken: str  # ``seconds`` as m:ss
    by_meeting: tuple[str, ...] = ()  # m:ss per column of :attr:`GroupAirtime.meetings`


@dataclass(frozen=True)
class GroupAirtime:
    number: int
    name: str
    #: Column titles when the group's rounds span more than one meeting, else empty.
    meetings: tuple[str, ...] = ()
    rows: list[AirtimeRecord] = field(default_factory=list)


@dataclass(frozen=True)
class QuestionRecord:
    """A question the facilitator put to the room or to one group."""

    at: datetime
    to: str  # a group's name, or the translated words for all groups
    purpose: str  # translated; empty for a question typed on the spot
    text: str


@dataclass(frozen=True)
class RoomEvent:
    """One thing the facilitator (or a group leader running a round) did in the room."""

    at: datetime
    text: str  # one line in the workshop's language; may hold names and typed questions


@dataclass(frozen=True)
class WorkshopRecord:
    code: str
    title: str
    lang: str  # "zh" or "en"
    created_at: datetime
    exported_at: datetime
    revision: int  # last change-log revision included
    groups: list[GroupRecord] = field(default_factory=list)
    meetings: list[MeetingRecord] = field(default_factory=list)
    airtime: list[GroupAirtime] = field(default_factory=list)  # groups that held rounds
    questions: list[QuestionRecord] = field(default_factory=list)
    room_log: list[RoomEvent] = field(default_factory=list)

    @property
    def member_count(self) -> int:
        return sum(len(g.members) for g in self.groups)

    @property
    def card_count(self) -> int:
        return sum(c.card_count for g in self.groups for c in g.canvases)
