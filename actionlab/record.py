"""The session record: a plain snapshot of a workshop that every exporter renders.

Built from the store by :func:`actionlab.services.records.build_record`; exporters only read
these dataclasses, so a new format never touches the database. Texts typed by people are kept
raw here; every exporter escapes them for its own format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
class WorkshopRecord:
    code: str
    title: str
    lang: str  # "zh" or "en"
    created_at: datetime
    exported_at: datetime
    revision: int  # last change-log revision included
    groups: list[GroupRecord] = field(default_factory=list)

    @property
    def member_count(self) -> int:
        return sum(len(g.members) for g in self.groups)

    @property
    def card_count(self) -> int:
        return sum(c.card_count for g in self.groups for c in g.canvases)
