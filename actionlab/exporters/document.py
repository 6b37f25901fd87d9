"""The session record as a plain sequence of blocks (headings, paragraphs, tables, lists,
pictures) for the page-layout formats: Word and PDF render the same :class:`Document`, so both
say the same thing in the same order.

:func:`build_document` turns a :class:`~actionlab.record.WorkshopRecord` of any scope (the
whole programme, one group, the minutes of a meeting, the case write-up) into a Document in
the record's language. Texts stay raw here; each writer makes them safe for its format
(:func:`clean` drops what no document format may hold).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from ..groupname import own_name
from ..i18n import translator
from ..record import (
    CanvasRecord,
    CaseRecord,
    GroupRecord,
    MinutesHeader,
    WorkshopRecord,
)
from .base import Exporter, format_datetime, kind_title

#: Control characters other than tab and line breaks: no XML document may hold them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
#: Lone surrogates cannot be encoded at all.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
EMPTY = "—"

#: The colours of the Word and PDF records (RGB), one set for both.
INK = (29, 39, 51)
MUTED = (95, 107, 122)
ACCENT = (31, 95, 139)
AGREED = (30, 123, 74)
SOFT = (232, 240, 247)
#: Marks what a group agreed on; a check mark the CJK font of the PDF has.
AGREED_MARK = "✓"


def clean(text: object) -> str:
    """``text`` without the characters that a Word or PDF file cannot carry."""
    if text is None:
        return ""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", str(text).replace("\r\n", "\n")))


@dataclass(frozen=True)
class Heading:
    level: int  # 1 for the record's sections, 2 and 3 below them
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    style: str = ""  # "" | "muted" | "strong" | "agreed"


@dataclass(frozen=True)
class Facts:
    """Label and value pairs, shown as a two-column list."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: Relative column widths (any scale); None: equal.
    widths: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[int, str], ...]  # (level from 0, text)


@dataclass(frozen=True)
class Picture:
    png: bytes
    caption: str


Block = Heading | Para | Facts | Table | Bullets | Picture


@dataclass
class Document:
    title: str
    kind: str  # "Action Learning workshop record", "Minutes of meeting 3" … translated
    lang: str
    blocks: list[Block] = field(default_factory=list)
    brand_name: str = ""
    brand_header: str = ""
    logo: bytes | None = None
    footer: str = ""

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    def text(self) -> str:
        """Every text of the document, one per line (for tests and search)."""
        out = [self.brand_name, self.brand_header, self.kind, self.title]
        for b in self.blocks:
            if isinstance(b, (Heading, Para)):
                out.append(b.text)
            elif isinstance(b, Facts):
                out += [f"{k} {v}" for k, v in b.rows]
            elif isinstance(b, Table):
                out += [" ".join(b.header)] + [" ".join(r) for r in b.rows]
            elif isinstance(b, Bullets):
                out += [t for _lvl, t in b.items]
            elif isinstance(b, Picture):
                out.append(b.caption)
        out.append(self.footer)
        return "\n".join(x for x in out if x)


def _span(first, last) -> str:
    if first and last and first != last:
        return f"{first} – {last}"
    return str(first or last or EMPTY)


class _Builder:
    def __init__(self, record: WorkshopRecord):
        self.r = record
        self._ = translator(record.lang)
        self.colon = "：" if record.lang == "zh" else ": "
        brand = record.brand
        self.doc = Document(
            title=clean(record.title), kind=kind_title(record, self._), lang=record.lang,
            brand_name=clean(brand.name), brand_header=clean(brand.header), logo=brand.logo,
            footer=self._("Exported from actionlab at {time}, revision {revision}.",
                          time=format_datetime(record.exported_at), revision=record.revision))

    def group_title(self, group) -> str:
        """"Group 2: Applying online"; "Group 2" alone for a group whose name is its number."""
        label = self._("Group {number}", number=group.number)
        rest = own_name(group.number, group.name)
        return label + self.colon + clean(rest) if rest else label

    def build(self) -> Document:
        r, _ = self.r, self._
        self.header()
        if r.minutes is not None:
            self.minutes(r.minutes)
        if r.scope.kind == "case":
            for case in r.cases:
                self.case(case)
            if not r.cases:
                self.doc.add(Para(_("(no groups yet)"), "muted"))
        else:
            self.groups()
            self.meetings()
        self.charts()
        if r.scope.kind != "case":
            self.airtime()
            self.questions()
            self.programme()
            self.progress()
            self.reflections()
        self.lessons()
        if r.scope.kind != "case":
            self.decisions()
            self.trace()
            self.room_log()
        return self.doc

    # -- head ------------------------------------------------------------------------------
    def header(self) -> None:
        r, _ = self.r, self._
        rows = [(_("Join code"), r.code), (_("Created"), format_datetime(r.created_at)),
                (_("Exported at"), format_datetime(r.exported_at)),
                (_("Revision"), str(r.revision))]
        if r.facilitator and r.minutes is None:
            rows.insert(1, (_("Facilitator"), clean(r.facilitator)))
        self.doc.add(Facts(tuple(rows)))
        if r.scope.kind in ("programme", "group"):
            self.doc.add(Heading(1, _("Summary")),
                         Table((_("Groups"), _("Members"), _("Cards")),
                               ((str(len(r.groups)), str(r.member_count), str(r.card_count)),)))

    def minutes(self, m: MinutesHeader) -> None:
        _ = self._
        self.doc.add(Heading(1, _("Meeting {number}", number=m.number) + self.colon + clean(m.title)))
        self.doc.add(Facts((
            (_("Meeting type"), m.kind or EMPTY),
            (_("Held on"), str(m.held_on or EMPTY)),
            (_("Started"), format_datetime(m.started_at) or EMPTY),
            (_("Ended"), format_datetime(m.ended_at) or EMPTY),
            (_("Facilitator"), clean(m.facilitator) or EMPTY),
            (_("Attendance"), _("{present} of {expected} present", present=m.present,
                                expected=m.expected)),
        )))
        if m.agenda:
            self.doc.add(Heading(2, _("Agenda")), Table(
                ("#", _("Step"), _("Minutes")),
                tuple((str(i), clean(a.title), str(a.minutes or EMPTY))
                      for i, a in enumerate(m.agenda, start=1)), (1, 8, 2)))

    # -- groups and canvases -----------------------------------------------------------------
    def groups(self) -> None:
        _ = self._
        if not self.r.groups:
            self.doc.add(Para(_("(no groups yet)"), "muted"))
        if self.r.minutes is not None and not any(g.canvases for g in self.r.groups):
            return  # a meeting without canvas work (a kick-off, say): no empty group headings
        for group in self.r.groups:
            self.group(group)

    def group(self, group: GroupRecord) -> None:
        _, d = self._, self.doc
        d.add(Heading(1, self.group_title(group)))
        if self.r.minutes is None:
            d.add(Heading(2, _("Members")))
            if group.members:
                d.add(Table((_("Name"), _("Role"), _("Sub-task"), _("Joined")), tuple(
                    (clean(m.name), clean(m.role) or EMPTY, clean(m.subtask) or EMPTY,
                     format_datetime(m.joined_at) or EMPTY) for m in group.members),
                    (3, 3, 5, 3)))
            else:
                d.add(Para(_("(no members yet)"), "muted"))
        if not group.canvases:
            d.add(Para(_("(no canvases yet)") if self.r.minutes is None
                       else _("(no canvas work at this meeting)"), "muted"))
        for canvas in group.canvases:
            self.canvas(canvas)

    def canvas(self, canvas: CanvasRecord) -> None:
        _, d = self._, self.doc
        d.add(Heading(2, _("Canvas") + self.colon + clean(canvas.title)))
        if canvas.compare:
            first, agreed = canvas.compare
            d.add(Table((clean(canvas.compare_titles[0]),
                         _("Agreed") + self.colon + clean(canvas.compare_titles[1])),
                        (("\n".join(clean(t) for t in first) or EMPTY,
                          "\n".join(clean(t) for t in agreed) or EMPTY),)))
        for column in canvas.columns:
            d.add(Heading(3, f"{clean(column.title)} ({len(column.cards)})"))
            if not column.cards:
                d.add(Para(_("(no cards yet)"), "muted"))
            for card in column.cards:
                text = clean(card.text)
                if card.decided:
                    text = AGREED_MARK + " " + _("Agreed by the group") + self.colon + text
                d.add(Para(text, "agreed" if card.decided else ""))
                facts = [f"{clean(label)}{self.colon}{clean(value)}" for label, value in card.details]
                who = f"{clean(card.author)} · {format_datetime(card.created_at)}"
                if card.updated_at != card.created_at:
                    who += " · " + _("edited {time}", time=format_datetime(card.updated_at))
                d.add(Para("\n".join([*facts, who]), "muted"))
        if canvas.map:
            d.add(Heading(3, _("Strategy map")), Bullets(tuple(
                (line.level, f"{clean(line.kind)}{self.colon}{clean(line.text)}"
                 + (" " + AGREED_MARK if line.decided else "")) for line in canvas.map)))

    # -- meetings and the room -----------------------------------------------------------------
    def meetings(self) -> None:
        _, d = self._, self.doc
        if not self.r.meetings:
            return
        d.add(Heading(1, _("Attendance") if self.r.minutes else _("Meetings and attendance")))
        for m in self.r.meetings:
            if self.r.minutes is None:
                d.add(Heading(2, _("Meeting {number}", number=m.number) + self.colon + clean(m.title)),
                      Facts(((_("Held on"), str(m.held_on or EMPTY)),
                             (_("Started"), format_datetime(m.started_at) or EMPTY),
                             (_("Ended"), format_datetime(m.ended_at) or EMPTY))))
            if m.attendance:
                d.add(Table((_("Name"), _("Group"), _("Attendance")), tuple(
                    (clean(a.name), clean(a.group), clean(a.status)) for a in m.attendance)))
            else:
                d.add(Para(_("(attendance not taken)"), "muted"))

    def charts(self) -> None:
        if not self.r.charts:
            return
        self.doc.add(Heading(1, self._("Charts")))
        for chart in self.r.charts:
            self.doc.add(Picture(chart.png, clean(chart.title)))

    def airtime(self) -> None:
        _, d = self._, self.doc
        if not self.r.airtime:
            return
        d.add(Heading(1, _("Speaking time")))
        for g in self.r.airtime:
            d.add(Heading(2, self.group_title(g)),
                  Table((_("Name"), _("Turns"), _("Skipped"), _("Time spoken"),
                         *(clean(t) for t in g.meetings)),
                        tuple((clean(row.name), str(row.turns), str(row.skipped), row.spoken,
                               *row.by_meeting) for row in g.rows)))

    def questions(self) -> None:
        _, d = self._, self.doc
        if not self.r.questions:
            return
        d.add(Heading(1, _("Questions asked")), Table(
            (_("Time"), _("To"), _("Purpose"), _("Question")),
            tuple((format_datetime(q.at), clean(q.to), clean(q.purpose) or EMPTY, clean(q.text))
                  for q in self.r.questions), (3, 3, 3, 8)))

    def room_log(self) -> None:
        _, d = self._, self.doc
        if not self.r.room_log:
            return
        d.add(Heading(1, _("Room log")), Table(
            (_("Time"), _("What happened")),
            tuple((format_datetime(e.at), clean(e.text)) for e in self.r.room_log), (1, 4)))

    # -- follow-up across months -----------------------------------------------------------------
    def programme(self) -> None:
        _, d = self._, self.doc
        if not self.r.programme:
            return
        d.add(Heading(1, _("Programme")), Table(
            ("#", _("Stage"), _("Status"), _("Dates"), _("Planned"), _("What it produced")),
            tuple((str(s.number), clean(s.title), s.status, _span(s.start, s.end),
                   _span(s.planned_start, s.planned_end),
                   "\n".join(clean(p) for p in s.produced) or EMPTY) for s in self.r.programme),
            (1, 3, 2, 4, 4, 7)))

    def progress(self) -> None:
        _, d = self._, self.doc
        if not self.r.progress:
            return
        d.add(Heading(1, _("Progress reports")))
        for meeting in self.r.progress:
            title = (_("Meeting {number}", number=meeting.number) + self.colon + clean(meeting.title)
                     if meeting.number else _("Outside meetings"))
            d.add(Heading(2, title))
            for report in meeting.reports:
                who = clean(report.name) + (f" · {clean(report.group)}" if report.group else "")
                rows = [(_("Progress"), clean(report.done) or EMPTY),
                        (_("Problems met"), clean(report.problems) or EMPTY),
                        (_("Help needed"), clean(report.help) or EMPTY)]
                if report.changes:
                    rows.append((_("Action status changes"),
                                 "\n".join(clean(c) for c in report.changes)))
                d.add(Heading(3, who), Facts(tuple(rows)))

    def reflections(self) -> None:
        _, d = self._, self.doc
        if not self.r.reflections:
            return
        d.add(Heading(1, _("Reflections")))
        for m in self.r.reflections:
            d.add(Heading(2, _("Meeting {number}", number=m.number) + self.colon + clean(m.title)),
                  Facts(((_("Reviews given"), str(m.count)),
                         (_("Meeting quality (average)"), f"{m.quality} / 5"),
                         (_("Own part (average)"), f"{m.own_part} / 5"))))
            if m.improvements:
                d.add(Para(_("Improvements suggested"), "strong"), Bullets(tuple(
                    (0, f"{clean(name)}{self.colon}{clean(text)}") for name, text in m.improvements)))

    def lessons(self) -> None:
        _, d = self._, self.doc
        if not self.r.lessons:
            return
        d.add(Heading(1, _("Lessons learned")))
        for stage in self.r.lessons:
            d.add(Heading(2, _("Stage {number}", number=stage.number) + self.colon + clean(stage.title)),
                  Bullets(tuple((0, clean(x.text) + " — " + " · ".join(
                      p for p in (clean(x.group), clean(x.author), format_datetime(x.at)) if p))
                      for x in stage.lessons)))

    def decisions(self) -> None:
        _, d = self._, self.doc
        if not self.r.decisions:
            return
        d.add(Heading(1, _("Decisions")))
        for g in self.r.decisions:
            d.add(Heading(2, self.group_title(g)))
            for x in g.decisions:
                head = " · ".join(p for p in (x.outcome, x.meeting, format_datetime(x.at)) if p)
                d.add(Para(head, "strong"), Facts((
                    (_("Proposal"), clean(x.proposal) or EMPTY),
                    (_("Reasons"), clean(x.reasons) or EMPTY),
                    (_("Conditions"), clean(x.conditions) or EMPTY))))

    def trace(self) -> None:
        _, d = self._, self.doc
        if not self.r.trace:
            return
        d.add(Heading(1, _("Traceability")))
        for g in self.r.trace:
            d.add(Heading(2, self.group_title(g)),
                  Bullets(tuple((line.level, clean(line.label)
                                 + (self.colon + clean(line.text) if line.text else "")
                                 + (" " + AGREED_MARK if line.decided else "")
                                 + (f" — {clean(line.detail)}" if line.detail else ""))
                                for line in g.lines)))

    # -- the case write-up (stage 6) ---------------------------------------------------------------
    def case(self, c: CaseRecord) -> None:
        _, d = self._, self.doc
        d.add(Heading(1, self.group_title(c)))
        if c.members:
            d.add(Para(_("Members") + self.colon + _(", ").join(clean(m) for m in c.members)))

        def part(title: str, texts) -> None:
            d.add(Heading(2, title))
            if texts:
                d.add(Bullets(tuple((0, clean(t)) for t in texts)))
            else:
                d.add(Para(_("(nothing recorded)"), "muted"))

        part(_("Background: the topic"), c.topic)
        part(_("The problem as first stated"), c.first_stated)
        part(_("The problem as restated"), c.restated)
        part(_("Goals"), c.goals)
        part(_("Strategies"), c.strategies)
        d.add(Heading(2, _("Actions")))
        if c.actions:
            d.add(Table((_("Action"), _("Owner"), _("Due"), _("Status")), tuple(
                (clean(a.text), clean(a.owner) or EMPTY, clean(a.due) or EMPTY, a.status)
                for a in c.actions), (6, 2, 2, 2)))
        else:
            d.add(Para(_("(nothing recorded)"), "muted"))
        part(_("Results"), c.results)
        part(_("Lessons learned"), c.lessons)


def build_document(record: WorkshopRecord) -> Document:
    """The record as blocks, in the record's language."""
    return _Builder(record).build()


class DocumentExporter(Exporter):
    """An exporter that lays out a :class:`Document` with a writer class:
    ``writer(created=...).render(document) -> bytes``."""

    writer: ClassVar[type]

    def render(self, record: WorkshopRecord) -> bytes:
        return self.writer(created=record.exported_at).render(build_document(record))
