"""Session records: a snapshot of a workshop for the exporters, and exporting it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ..branding import branding
from ..clock import utcnow
from ..errors import InvalidInput, LibraryError
from ..i18n import N_, translator
from ..library import CanvasDef, ColumnDef, Library
from ..record import (
    SCOPES,
    AgendaLine,
    AirtimeRecord,
    AttendanceRecord,
    Branding,
    CanvasRecord,
    CardRecord,
    ColumnRecord,
    DecisionRecord,
    GroupAirtime,
    GroupDecisions,
    GroupRecord,
    GroupTrace,
    LessonRecord,
    MapLine,
    MeetingRecord,
    MeetingReflections,
    MeetingReports,
    MemberRecord,
    MinutesHeader,
    QuestionRecord,
    ReportRecord,
    RoomEvent,
    Scope,
    StageLessons,
    StageRecord,
    WorkshopRecord,
)
from ..settings import Settings
from ..text import line_text
from .access import FACILITATOR
from .canvas import CanvasService
from .cases import CaseService
from .meetings import LATE, PRESENT, STATUS_TITLES
from .programme import OUTCOME_TITLES, ProgrammeService
from .programme import STATUS_TITLES as STAGE_STATUS_TITLES
from .questions import PURPOSES
from .room import RoomService, Step, default_agenda
from .roomlog import LogContext, room_log
from .roomstate import clock
from .scoring import ScoringService
from .speaking import SpeakingService
from .trace import TraceService, author
from .voting import VotingService

if TYPE_CHECKING:
    from ..db.models import Card, Change
    from ..store import Store

#: Formats whose records carry charts (pictures).
CHART_FORMATS = ("html", "docx", "pdf")

#: Change-log rows read per query while collecting the room log.
CHANGE_PAGE = 1000


def _local(value):
    """Stored times are UTC; records show the wall-clock time of the room."""
    return value.replace(tzinfo=timezone.utc).astimezone() if value is not None else None


#: Where the facilitator's name for records is kept in ``Workshop.options``.
FACILITATOR_OPTION = "facilitator"
NAME_LIMIT = 80

#: ``progress(fraction, label)``: how far an export got, for a progress bar.
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class _Only:
    """The rows a scoped record keeps: of these groups (None: all), of this meeting (None: all)."""

    groups: set[int] | None = None
    meeting: int | None = None

    def group(self, group_id) -> bool:
        return self.groups is None or group_id in self.groups

    def at(self, meeting_id) -> bool:
        return self.meeting is None or meeting_id == self.meeting


class RecordService:
    def __init__(self, store: Store, library: Library, canvas: CanvasService,
                 scoring: ScoringService, voting: VotingService, *,
                 room: RoomService | None = None, speaking: SpeakingService | None = None,
                 programme: ProgrammeService | None = None, trace: TraceService | None = None,
                 settings: Settings | None = None):
        self.store = store
        self.library = library
        self.canvas = canvas
        self.scoring = scoring
        self.voting = voting
        self.room = room or RoomService(store, library)
        self.speaking = speaking or SpeakingService(store, library)
        self.programme = programme or ProgrammeService(store, library)
        self.trace = trace or TraceService(store, library)
        self.cases = CaseService(store, library, self.trace)
        self.settings = settings

    def _role_title(self, role: str, lang: str) -> str:
        try:
            return self.library.item("roles", role).title(lang)
        except LibraryError:
            return role

    def _details(self, card: Card, col: ColumnDef, ctx: dict, _) -> tuple[tuple[str, str], ...]:
        lang = ctx["lang"]
        out: list[tuple[str, str]] = []
        values = card.fields or {}
        for f in col.fields:
            value = values.get(f.key)
            if value in (None, ""):
                if f.required:
                    out.append((f.title(lang), _("(missing)")))
                continue
            if f.type == "choice":
                value = f.option_title(value, lang)
            elif f.type == "member":
                value = ctx["names"].get(value, _("(left)"))
            out.append((f.title(lang), str(value)))
        if card.parent_id and card.parent_id in ctx["texts"]:
            out.append((_("Belongs to"), ctx["texts"][card.parent_id]))
        if col.vote:
            out.append((_("Votes"), str(ctx["tally"].counts.get(card.id, 0))))
        if col.score is not None:
            summary = ctx["summaries"].get(col.key, {}).get(card.id)
            if summary is not None and summary.total is not None:
                means = _(", ").join(f"{c.title(lang)} {summary.means[c.key]:.1f}"
                                  for c in col.score.criteria if c.key in summary.means)
                out.append((_("Score"), _("{total} ({n} scored: {means})", total=f"{summary.total:.2f}",
                                          n=summary.raters, means=means)))
        if col.consensus:
            result = ctx["consensus"].get(card.id)
            if result is not None and result.hands:
                hands = " ".join(f"{v}:{n}" for v, n in enumerate(result.histogram()) if n)
                verdict = _("consensus") if result.agreed else _("no consensus yet")
                out.append((_("Fist to five"), f"{hands} · {verdict}"))
        return tuple(out)

    def build(self, code: str, scope: Scope | None = None, *, charts: bool = False,
              brand: Branding | None = None, progress: Progress | None = None) -> WorkshopRecord:
        """What was recorded for workshop ``code``, in the workshop's language.

        ``scope`` narrows it to one group, the minutes of one meeting or the case write-up;
        ``charts`` draws the charts that go with it (matplotlib; facilitator side only);
        ``progress(fraction, label)`` hears how far it got.
        """
        scope = scope or Scope()
        if scope.kind not in SCOPES:
            raise InvalidInput(N_("Unknown record scope {name}"), name=scope.kind)
        tell = progress or (lambda _f, _l: None)
        revision = self.store.find_latest_revision()
        ws = self.store.find_workshop(code)
        lang = ws.lang
        _ = translator(lang)
        members = self.store.find_members(ws.id)
        names = {m.id: m.name for m in members}
        cards = self.store.find_cards(ws.id)
        texts = {c.id: c.text for c in cards}
        all_groups = self.store.find_groups(ws.id)
        meetings = self.store.find_meetings(ws.id)
        group_rows = self._scope_groups(all_groups, scope)
        meeting = self._scope_meeting(meetings, scope)
        canvas_keys = self._meeting_canvases(ws, meeting) if meeting else list(ws.canvases)
        canvases = [self.library.canvas(k) for k in canvas_keys]
        if scope.kind == "case":
            canvases = []
        tell(0.05, _("Reading the canvases"))
        groups = []
        for group in group_rows:
            group_canvases = [self._canvas_record(ws, group, canvas, cards, names, texts, _)
                              for canvas in canvases]
            groups.append(
                GroupRecord(
                    number=group.number,
                    name=group.name,
                    members=[
                        MemberRecord(name=m.name, role=self._role_title(m.role, lang),
                                     joined_at=_local(m.joined_at) if m.token_hash else None,
                                     subtask=m.subtask or "")
                        for m in members
                        if m.group_id == group.id
                    ],
                    canvases=group_canvases,
                )
            )
        tell(0.3, _("Reading the meetings"))
        group_names = {g.id: g.name for g in all_groups}
        titles = {m.id: (m.number, m.title) for m in meetings}
        only = _Only(groups={g.id for g in group_rows} if scope.kind in ("group", "case") else None,
                     meeting=meeting.id if meeting else None)
        in_group = {m.id for m in members if only.group(m.group_id)}
        kept_meetings = [meeting] if meeting else meetings
        if scope.kind == "case":
            kept_meetings = []
        record = WorkshopRecord(
            code=ws.code, title=ws.title, lang=lang, created_at=_local(ws.created_at),
            exported_at=_local(utcnow()), revision=revision, groups=groups,
            meetings=self._meetings(kept_meetings, [m for m in members if m.id in in_group],
                                    group_names, _),
            airtime=[] if scope.kind == "case" else self._airtime(ws, group_rows, meetings, _, only),
            questions=[] if scope.kind == "case" else self._questions(ws, group_names, _, only),
            room_log=(self._room_log(ws, revision, group_names, meetings, _, meeting)
                      if scope.kind in ("programme", "meeting") else []),
            programme=self._programme(ws, _) if scope.kind in ("programme", "group") else [],
            progress=([] if scope.kind == "case"
                      else self._progress(ws, titles, names, group_names, texts, _, only)),
            reflections=([] if scope.kind == "case"
                         else self._reflections(ws, kept_meetings, names, only)),
            lessons=self._lessons(ws, group_names, lang, _, only),
            decisions=self._decisions(ws, group_rows, titles, _, only),
            trace=self._trace(ws, group_rows, lang) if scope.kind in ("programme", "group") else [],
            scope=scope,
            facilitator=self.facilitator(ws),
            minutes=self._minutes(ws, meeting, members, _) if meeting else None,
            cases=(self.cases.build(ws, group_rows, members, cards, _)
                   if scope.kind == "case" else []),
            brand=brand or Branding(),
        )
        if charts:
            tell(0.5, _("Drawing the charts"))
            from ..recordcharts import record_charts  # matplotlib: only when asked for

            record = replace(record, charts=record_charts(self.store, self.library, self.voting,
                                                          ws, record,
                                                          group_ids=[g.id for g in group_rows]
                                                          if only.groups else None,
                                                          meeting=meeting))
        tell(0.7, _("Writing the file"))
        return record

    @staticmethod
    def facilitator(ws) -> str:
        """The facilitator's name as it goes on records (set on the console)."""
        return str((ws.options or {}).get(FACILITATOR_OPTION) or "")

    def set_facilitator(self, ws, name: str):
        name = line_text(name)
        if len(name) > NAME_LIMIT:
            raise InvalidInput(N_("The text is too long (at most {n} characters)."), n=NAME_LIMIT)
        return self.store.update_workshop_options(FACILITATOR, ws.id, (FACILITATOR_OPTION,), name)

    @staticmethod
    def _scope_groups(groups, scope: Scope):
        if scope.group is None or scope.kind not in ("group", "case"):
            if scope.kind == "group":
                raise InvalidInput(N_("Choose a group."))
            return list(groups)
        chosen = [g for g in groups if g.number == scope.group]
        if not chosen:
            raise InvalidInput(N_("There is no group {number} in this workshop."), number=scope.group)
        return chosen

    @staticmethod
    def _scope_meeting(meetings, scope: Scope):
        if scope.kind != "meeting":
            return None
        if scope.meeting is None:
            raise InvalidInput(N_("Choose a meeting."))
        for m in meetings:
            if m.number == scope.meeting:
                return m
        raise InvalidInput(N_("There is no meeting {number} in this workshop."), number=scope.meeting)

    def _meeting_canvases(self, ws, meeting) -> list[str]:
        """The canvases a meeting worked on: the canvas steps of its agenda, in order."""
        steps = [Step.from_dict(raw) for raw in meeting.agenda] if meeting.agenda else \
            default_agenda(ws)
        keys = list(dict.fromkeys(s.canvas for s in steps if s.canvas))
        return [k for k in keys if k in ws.canvases]

    def _canvas_record(self, ws, group, canvas: CanvasDef, cards, names, texts, _) -> CanvasRecord:
        lang = ws.lang
        scores = self.scoring.scores(ws, group.id, canvas.key)
        ctx = {
            "lang": lang, "names": names, "texts": texts,
            "tally": self.voting.tally(ws, group.id, canvas.key),
            "summaries": {c.key: self.scoring.summary(ws, group.id, canvas.key, c.key, scores)
                          for c in canvas.columns if c.score is not None},
            "consensus": self.scoring.consensus(ws, group.id, canvas.key, scores),
        }
        mine = [c for c in cards if c.group_id == group.id and c.canvas == canvas.key]
        columns = [
            ColumnRecord(key=col.key, title=col.title(lang), cards=[
                CardRecord(
                    id=c.id,
                    column=c.column,
                    text=c.text,
                    author=names.get(c.author_id, _("Facilitator")),
                    created_at=_local(c.created_at),
                    updated_at=_local(c.updated_at),
                    details=self._details(c, col, ctx, _),
                    decided=bool(c.decided),
                )
                for c in mine if c.column == col.key
            ])
            for col in canvas.columns
        ]
        compare, compare_titles = None, ("", "")
        if canvas.compare:
            first, agreed = canvas.compare
            compare = (tuple(c.text for c in mine if c.column == first),
                       tuple(c.text for c in mine if c.column == agreed and c.decided))
            compare_titles = (canvas.column(first).title(lang), canvas.column(agreed).title(lang))
        return CanvasRecord(key=canvas.key, title=canvas.title(lang), columns=columns,
                            compare=compare, compare_titles=compare_titles,
                            map=self._map(ws, group.id, canvas, lang))

    def _minutes(self, ws, meeting, members, _) -> MinutesHeader:
        steps = [Step.from_dict(raw) for raw in meeting.agenda] if meeting.agenda else \
            default_agenda(ws)
        marks = {a.member_id: a.status for a in self.store.find_attendance(meeting.id)}
        try:
            kind = self.library.meeting_type(meeting.kind).title(ws.lang)
        except LibraryError:
            kind = ""
        return MinutesHeader(
            number=meeting.number, title=meeting.title, kind=kind, held_on=meeting.held_on,
            started_at=_local(meeting.started_at), ended_at=_local(meeting.ended_at),
            facilitator=self.facilitator(ws),
            agenda=[AgendaLine(self.room.step_title(s, ws.lang, _), s.minutes, s.kind)
                    for s in steps],
            present=sum(1 for v in marks.values() if v in (PRESENT, LATE)),
            expected=len(members))

    # -- running the room ------------------------------------------------------------------
    def _meetings(self, meetings, members, group_names: dict, _) -> list[MeetingRecord]:
        """Each meeting; attendance lists every member once any of them was marked."""
        out = []
        kept = {m.id for m in members}
        for meeting in meetings:
            marks = {a.member_id: a.status for a in self.store.find_attendance(meeting.id)
                     if a.member_id in kept}
            attendance = [
                AttendanceRecord(m.name, group_names.get(m.group_id, _("no group")),
                                 _(STATUS_TITLES.get(marks[m.id], marks[m.id]))
                                 if m.id in marks else _("not marked"))
                for m in members
            ] if marks else []
            out.append(MeetingRecord(number=meeting.number, title=meeting.title,
                                     held_on=meeting.held_on, started_at=_local(meeting.started_at),
                                     ended_at=_local(meeting.ended_at), attendance=attendance))
        return out

    def _airtime(self, ws, groups, meetings, _, only: _Only) -> list[GroupAirtime]:
        """Speaking time per member of each group that held a round; a column per meeting
        when a group's rounds span more than one (only the one meeting's in its minutes)."""
        numbers = {m.id: m.number for m in meetings}
        out = []
        for group in groups:
            rows = self.speaking.airtime(ws, group.id)
            keys = sorted({k for row in rows for k in row.by_meeting if only.at(k)},
                          key=lambda k: (k not in numbers, numbers.get(k, 0)))
            if not keys:
                continue
            columns = keys if len(keys) > 1 else []
            titles = tuple(_("Meeting {number}", number=numbers[k]) if k in numbers
                           else _("Outside meetings") for k in columns)
            if only.meeting is None:
                table = [AirtimeRecord(row.name, row.turns, row.skipped, row.spoken,
                                       clock(row.spoken),
                                       tuple(clock(row.by_meeting.get(k, 0)) for k in columns))
                         for row in rows]
            else:  # the meeting's own time; turns and skips are counted over all rounds
                table = [AirtimeRecord(row.name, row.turns, row.skipped,
                                       row.by_meeting.get(only.meeting, 0),
                                       clock(row.by_meeting.get(only.meeting, 0)))
                         for row in rows if only.meeting in row.by_meeting]
            out.append(GroupAirtime(group.number, group.name, titles, table))
        return out

    def _questions(self, ws, group_names: dict, _, only: _Only) -> list[QuestionRecord]:
        return [
            QuestionRecord(at=_local(q.at),
                           to=group_names.get(q.group_id, "?") if q.group_id else _("All groups"),
                           purpose=_(PURPOSES[q.purpose]) if q.purpose in PURPOSES else "",
                           text=q.text)
            for q in self.store.find_questions_asked(ws.id)
            if only.at(q.meeting_id) and (q.group_id is None or only.group(q.group_id))
        ]

    def _room_log(self, ws, revision: int, group_names: dict, meetings, _,
                  meeting=None) -> list[RoomEvent]:
        """What happened in the room; for the minutes of a meeting, what happened while it
        was held (from its start to its end)."""
        changes: list[Change] = []
        after = 0
        while True:
            page = self.store.find_changes(after=after, workshop_id=ws.id, limit=CHANGE_PAGE)
            changes += [c for c in page if c.revision <= revision]
            if len(page) < CHANGE_PAGE or page[-1].revision >= revision:
                break
            after = page[-1].revision
        ctx = LogContext(groups=group_names,
                         meetings={m.id: m for m in meetings},
                         default_steps=default_agenda(ws),
                         step_title=lambda step: self.room.step_title(step, ws.lang, _))
        events = room_log(changes, self.store.find_turns(ws.id), ctx, _)
        if meeting is not None:
            if meeting.started_at is None:
                return []
            end = meeting.ended_at
            events = [e for e in events
                      if e.at >= meeting.started_at and (end is None or e.at <= end)]
        return [replace(e, at=_local(e.at)) for e in events]

    # -- follow-up across months -----------------------------------------------------------
    def _programme(self, ws, _) -> list[StageRecord]:
        return [StageRecord(s.number, s.key, s.title, s.status, _(STAGE_STATUS_TITLES[s.status]),
                            s.start, s.end, s.planned_start, s.planned_end, s.produced)
                for s in self.programme.view(ws)]

    def _progress(self, ws, titles: dict, names: dict, group_names: dict, texts: dict,
                  _, only: _Only) -> list[MeetingReports]:
        """Each meeting's progress reports, member by member, with the action statuses the
        report changed."""
        statuses = self.trace.status_titles(ws.lang)
        changes: dict[int, list[str]] = {}
        for u in self.store.find_action_updates(ws.id):
            if u.report_id:
                after = statuses.get(u.status, u.status)
                line = _("{action}: {before} → {after}", action=texts.get(u.card_id, "?"),
                         before=statuses.get(u.before, u.before or "—"), after=after)
                changes.setdefault(u.report_id, []).append(
                    _("{change} ({note})", change=line, note=u.note) if u.note else line)
        by_meeting: dict[int | None, list[ReportRecord]] = {}
        for r in self.store.find_progress_reports(ws.id):
            if not (only.group(r.group_id) and only.at(r.meeting_id)):
                continue
            key = r.meeting_id if r.meeting_id in titles else None
            by_meeting.setdefault(key, []).append(ReportRecord(
                names.get(r.member_id, _("(left)")), group_names.get(r.group_id, ""), r.done,
                r.problems, r.help, tuple(changes.get(r.id, ()))))
        order = sorted(by_meeting, key=lambda k: (k is None, titles.get(k, (0,))[0]))
        return [MeetingReports(*(titles[k] if k is not None else (None, "")), by_meeting[k])
                for k in order]

    def _reflections(self, ws, meetings, names: dict, only: _Only) -> list[MeetingReflections]:
        rows = [r for r in self.store.find_reflections(ws.id) if only.group(r.group_id)]
        out = []
        for m in meetings:
            mine = [r for r in rows if r.meeting_id == m.id]
            if mine:
                out.append(MeetingReflections(
                    m.number, m.title, len(mine),
                    f"{sum(r.quality for r in mine) / len(mine):.1f}",
                    f"{sum(r.own_part for r in mine) / len(mine):.1f}",
                    [(names.get(r.member_id, "?"), r.improvement) for r in mine if r.improvement]))
        return out

    def _lessons(self, ws, group_names: dict, lang: str, _, only: _Only) -> list[StageLessons]:
        """Lessons by stage; for one group, its own and the whole class's."""
        lessons = [x for x in self.store.find_lessons(ws.id)
                   if (x.group_id is None or only.group(x.group_id)) and only.at(x.meeting_id)]
        out = []
        for number, stage in enumerate(self.library.items("stages"), start=1):
            mine = [x for x in lessons if x.stage == stage.key]
            if mine:
                out.append(StageLessons(number, stage.title(lang), [
                    LessonRecord(x.text, group_names.get(x.group_id, ""), author(x.author, _),
                                 _local(x.at))
                    for x in mine]))
        return out

    def _decisions(self, ws, groups, titles: dict, _, only: _Only) -> list[GroupDecisions]:
        decisions = [d for d in self.store.find_decisions(ws.id) if only.at(d.meeting_id)]
        out = []
        for g in groups:
            mine = [d for d in decisions if d.group_id == g.id]
            if mine:
                out.append(GroupDecisions(g.number, g.name, [
                    DecisionRecord(d.outcome, _(OUTCOME_TITLES.get(d.outcome, d.outcome)),
                                   d.proposal, d.reasons, d.conditions, _local(d.at),
                                   _("Meeting {number}", number=titles[d.meeting_id][0])
                                   if d.meeting_id in titles else "")
                    for d in mine]))
        return out

    def _trace(self, ws, groups, lang: str) -> list[GroupTrace]:
        out = []
        for g in groups:
            lines = self.trace.trace_lines(ws, g.id, lang)
            if lines:
                out.append(GroupTrace(g.number, g.name, lines))
        return out

    def _map(self, ws, group_id: int, canvas: CanvasDef, lang: str) -> list[MapLine]:
        if not canvas.map:
            return []
        kinds = [self.library.column(ref)[1].title(lang) for ref in canvas.map]
        lines: list[MapLine] = []

        def walk(node) -> None:
            lines.append(MapLine(node.level, kinds[node.level], node.card.text, bool(node.card.decided)))
            for child in node.children:
                walk(child)

        for node in self.canvas.map_tree(ws, group_id, canvas.map):
            walk(node)
        return lines

    def brand(self) -> Branding:
        """The organisation's branding from the settings (read at each export)."""
        return branding(self.settings) if self.settings is not None else Branding()

    def render(self, code: str, fmt: str, scope: Scope | None = None, *,
               progress: Progress | None = None) -> tuple[str, str, bytes]:
        """An export as a download: (file name, media type, content).

        ``fmt`` is one of :func:`~actionlab.exporters.format_names`. The JSON backup always
        holds the whole workshop; the spreadsheet follows the scope's group or meeting.
        """
        from ..exporters import DATA_FORMATS, get_exporter  # heavy imports, on demand
        from ..exporters.base import record_filename

        tell = progress or (lambda _f, _l: None)
        key = str(fmt).strip().lower().lstrip(".")
        scope = scope or Scope()
        if key in DATA_FORMATS:
            ws = self.store.find_workshop(code)
            _ = translator(ws.lang)
            suffix, media = DATA_FORMATS[key]
            tell(0.1, _("Reading the tables"))
            if key == "json":
                from ..backup import dumps

                data, stem, scope = dumps(self.store, ws.code), "backup", None
            else:
                from ..exporters.xlsx import export_workshop_xlsx

                data, stem = self._xlsx(ws, scope, _, export_workshop_xlsx), "data"
            tell(1.0, _("Ready"))
            return record_filename(ws.code, scope, suffix, stem), media, data
        exporter = get_exporter(key, templates=self._templates())
        record = self.build(code, scope, charts=key in CHART_FORMATS, brand=self.brand(),
                            progress=tell)
        content = exporter.render(record)
        data = content.encode("utf-8") if isinstance(content, str) else content
        tell(1.0, translator(record.lang)("Ready"))
        return exporter.filename(record), exporter.media_type, data

    def _xlsx(self, ws, scope: Scope, _, render) -> bytes:
        if scope.kind == "case":
            msg = N_("The case write-up is a document: choose Word, PDF, HTML or Markdown.")
            raise InvalidInput(msg)
        brand = self.brand()
        about = [(_("Organisation"), brand.name)] if brand.name else []
        if brand.header:
            about.append((_("Header"), brand.header))
        group = scope.group if scope.kind == "group" else None
        meeting = scope.meeting if scope.kind == "meeting" else None
        self._scope_groups(self.store.find_groups(ws.id), scope)  # a clear error for a
        self._scope_meeting(self.store.find_meetings(ws.id), scope)  # missing one
        return render(self.store, ws, group=group, meeting=meeting, lang=ws.lang, about=about)

    def _templates(self):
        return (self.settings.export_templates or None) if self.settings is not None else None

    def export(self, code: str, fmt: str, out: str | Path, scope: Scope | None = None, *,
               progress: Progress | None = None) -> Path:
        """Write an export to ``out`` (a file, or a folder to put it in); return the file."""
        from ..exporters.base import atomic_write

        name, _media, data = self.render(code, fmt, scope, progress=progress)
        target = Path(out)
        if target.is_dir() or str(out).endswith(("/", os.sep)):  # "out/" names a folder
            target = target / name
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
        return target
