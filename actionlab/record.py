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
class StageRecord:
    """One of the six stages of the programme: its dates and what it produced."""

    number: int
    key: str
    title: str
    status_key: str  # done | current | upcoming
    status: str  # translated
    start: date | None
    end: date | None
    planned_start: date | None = None
    planned_end: date | None = None
    produced: tuple[str, ...] = ()  # lines that may hold typed text


@dataclass(frozen=True)
class ReportRecord:
    """A member's progress report at a meeting."""

    name: str
    group: str
    done: str
    problems: str
    help: str
    #: The status changes of actions made with this report, one line each
    #: ("action: before → after (note)").
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeetingReports:
    number: int | None  # None: reports given outside a meeting
    title: str  # the meeting's title; empty outside a meeting
    reports: list[ReportRecord] = field(default_factory=list)


@dataclass(frozen=True)
class MeetingReflections:
    """The reviews (回顾小结) of one meeting: averages and the improvements suggested."""

    number: int
    title: str
    count: int
    quality: str  # average of 1–5, one decimal
    own_part: str
    improvements: list[tuple[str, str]] = field(default_factory=list)  # (name, text)


@dataclass(frozen=True)
class LessonRecord:
    text: str
    group: str  # a group's name, or empty for the whole class
    author: str
    at: datetime | None


@dataclass(frozen=True)
class StageLessons:
    number: int
    title: str
    lessons: list[LessonRecord] = field(default_factory=list)


@dataclass(frozen=True)
class DecisionRecord:
    outcome_key: str  # adopt | revise | reject
    outcome: str  # translated
    proposal: str
    reasons: str
    conditions: str
    at: datetime | None
    meeting: str = ""  # "Meeting 3" (translated), or empty


@dataclass(frozen=True)
class GroupDecisions:
    number: int
    name: str
    decisions: list[DecisionRecord] = field(default_factory=list)


@dataclass(frozen=True)
class TraceLine:
    """One step of a group's chain from the key problem to the lessons, depth-first."""

    level: int
    kind: str  # problem | goal | strategy | action | status | report | lesson | unlinked
    label: str  # translated ("Goal")
    text: str  # typed text
    detail: str = ""  # translated facts, may hold typed text (owner, note, problems)
    decided: bool = False


@dataclass(frozen=True)
class GroupTrace:
    number: int
    name: str
    lines: list[TraceLine] = field(default_factory=list)


#: What a record covers: the whole programme, one group, the minutes of one meeting, or the
#: case write-up (stage 6) of one group or of every group.
SCOPES = ("programme", "group", "meeting", "case")


@dataclass(frozen=True)
class Scope:
    kind: str = "programme"
    group: int | None = None  # a group's number (group scope, or one group's case)
    meeting: int | None = None  # a meeting's number (meeting scope)


@dataclass(frozen=True)
class Branding:
    """An organisation's name, header line and logo, put on every export."""

    name: str = ""
    header: str = ""
    logo: bytes | None = None  # PNG or JPEG
    logo_type: str = "image/png"

    def __bool__(self) -> bool:
        return bool(self.name or self.header or self.logo)


@dataclass(frozen=True)
class ChartRecord:
    """A chart as a picture, with the words that say what it shows."""

    key: str
    title: str
    png: bytes
    alt: str = ""


@dataclass(frozen=True)
class AgendaLine:
    title: str
    minutes: int | None
    kind: str  # the step's kind (canvas, progress …)


@dataclass(frozen=True)
class MinutesHeader:
    """The head of a meeting's minutes."""

    number: int
    title: str
    kind: str  # translated title of the meeting template
    held_on: date | None
    started_at: datetime | None
    ended_at: datetime | None
    facilitator: str
    agenda: list[AgendaLine] = field(default_factory=list)
    present: int = 0
    expected: int = 0


@dataclass(frozen=True)
class CaseAction:
    text: str
    owner: str
    due: str
    status: str  # translated


@dataclass(frozen=True)
class CaseRecord:
    """The stage-6 case write-up of one group: how its problem was worked through."""

    number: int
    name: str
    members: tuple[str, ...]
    topic: tuple[str, ...]  # background: the topic the group took on
    first_stated: tuple[str, ...]  # the problem as first stated
    restated: tuple[str, ...]  # the problem as agreed after restructuring
    goals: tuple[str, ...]
    strategies: tuple[str, ...]
    actions: list[CaseAction] = field(default_factory=list)
    results: tuple[str, ...] = ()  # decisions, actions done, reports' progress
    lessons: tuple[str, ...] = ()


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
    # Follow-up across months (stages 3–6); empty in records built by hand.
    programme: list[StageRecord] = field(default_factory=list)
    progress: list[MeetingReports] = field(default_factory=list)
    reflections: list[MeetingReflections] = field(default_factory=list)
    lessons: list[StageLessons] = field(default_factory=list)  # stages with lessons only
    decisions: list[GroupDecisions] = field(default_factory=list)  # groups with decisions
    trace: list[GroupTrace] = field(default_factory=list)  # groups with something to trace
    # What the export covers and how it looks.
    scope: Scope = field(default_factory=Scope)
    facilitator: str = ""
    minutes: MinutesHeader | None = None  # the meeting scope only
    cases: list[CaseRecord] = field(default_factory=list)  # the case scope only
    charts: list[ChartRecord] = field(default_factory=list)
    brand: Branding = field(default_factory=Branding)

    @property
    def member_count(self) -> int:
        return sum(len(g.members) for g in self.groups)

    @property
    def card_count(self) -> int:
        return sum(c.card_count for g in self.groups for c in g.canvases)
