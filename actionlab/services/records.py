"""Session records: a snapshot of a workshop for the exporters, and exporting it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timezone
from pathlib import Path

from ..db.models import Card, Change, utcnow
from ..errors import LibraryError
from ..i18n import translator
from ..library import CanvasDef, ColumnDef, Library
from ..record import (
    AirtimeRecord,
    AttendanceRecord,
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
    QuestionRecord,
    ReportRecord,
    RoomEvent,
    StageLessons,
    StageRecord,
    WorkshopRecord,
)
from ..store import Store
from .canvas import CanvasService
from .meetings import STATUS_TITLES
from .programme import OUTCOME_TITLES, ProgrammeService
from .programme import STATUS_TITLES as STAGE_STATUS_TITLES
from .questions import PURPOSES
from .room import RoomService, default_agenda
from .roomlog import LogContext, room_log
from .roomstate import clock
from .scoring import ScoringService
from .speaking import SpeakingService
from .trace import TraceService, author
from .voting import VotingService

#: Change-log rows read per query while collecting the room log.
CHANGE_PAGE = 1000


def _local(value):
    """Stored times are UTC; records show the wall-clock time of the room."""
    return value.replace(tzinfo=timezone.utc).astimezone() if value is not None else None


class RecordService:
    def __init__(self, store: Store, library: Library, canvas: CanvasService,
                 scoring: ScoringService, voting: VotingService, *,
                 room: RoomService | None = None, speaking: SpeakingService | None = None,
                 programme: ProgrammeService | None = None, trace: TraceService | None = None):
        self.store = store
        self.library = library
        self.canvas = canvas
        self.scoring = scoring
        self.voting = voting
        self.room = room or RoomService(store, library)
        self.speaking = speaking or SpeakingService(store, library)
        self.programme = programme or ProgrammeService(store, library)
        self.trace = trace or TraceService(store, library)

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
                means = ", ".join(f"{c.title(lang)} {summary.means[c.key]:.1f}"
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

    def build(self, code: str) -> WorkshopRecord:
        """Everything recorded for workshop ``code``, in the workshop's language."""
        revision = self.store.find_latest_revision()
        ws = self.store.find_workshop(code)
        lang = ws.lang
        _ = translator(lang)
        members = self.store.find_members(ws.id)
        names = {m.id: m.name for m in members}
        cards = self.store.find_cards(ws.id)
        texts = {c.id: c.text for c in cards}
        canvases = [self.library.canvas(k) for k in ws.canvases]
        groups = []
        group_rows = self.store.find_groups(ws.id)
        for group in group_rows:
            group_canvases = []
            for canvas in canvases:
                scores = self.scoring.scores(ws, group.id, canvas.key)
                ctx = {
                    "lang": lang, "names": names, "texts": texts,
                    "tally": self.voting.tally(ws, group.id, canvas.key),
                    "summaries": {c.key: self.scoring.summary(ws, group.id, canvas.key, c.key,
                                                              scores)
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
                    compare_titles = (canvas.column(first).title(lang),
                                      canvas.column(agreed).title(lang))
                group_canvases.append(CanvasRecord(
                    key=canvas.key, title=canvas.title(lang), columns=columns, compare=compare,
                    compare_titles=compare_titles, map=self._map(ws, group.id, canvas, lang)))
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
        group_names = {g.id: g.name for g in group_rows}
        meetings = self.store.find_meetings(ws.id)
        titles = {m.id: (m.number, m.title) for m in meetings}
        return WorkshopRecord(code=ws.code, title=ws.title, lang=lang, created_at=_local(ws.created_at),
                              exported_at=_local(utcnow()), revision=revision, groups=groups,
                              meetings=self._meetings(meetings, members, group_names, _),
                              airtime=self._airtime(ws, group_rows, meetings, _),
                              questions=self._questions(ws, group_names, _),
                              room_log=self._room_log(ws, revision, group_names, meetings, _),
                              programme=self._programme(ws, _),
                              progress=self._progress(ws, titles, names, group_names, texts, _),
                              reflections=self._reflections(ws, meetings, names),
                              lessons=self._lessons(ws, group_names, lang, _),
                              decisions=self._decisions(ws, group_rows, titles, _),
                              trace=self._trace(ws, group_rows, lang))

    # -- running the room ------------------------------------------------------------------
    def _meetings(self, meetings, members, group_names: dict, _) -> list[MeetingRecord]:
        """Each meeting; attendance lists every member once any of them was marked."""
        out = []
        for meeting in meetings:
            marks = {a.member_id: a.status for a in self.store.find_attendance(meeting.id)}
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

    def _airtime(self, ws, groups, meetings, _) -> list[GroupAirtime]:
        """Speaking time per member of each group that held a round; a column per meeting
        when a group's rounds span more than one."""
        numbers = {m.id: m.number for m in meetings}
        out = []
        for group in groups:
            rows = self.speaking.airtime(ws, group.id)
            keys = sorted({k for row in rows for k in row.by_meeting},
                          key=lambda k: (k not in numbers, numbers.get(k, 0)))
            if not keys:
                continue
            columns = keys if len(keys) > 1 else []
            titles = tuple(_("Meeting {number}", number=numbers[k]) if k in numbers
                           else _("Outside meetings") for k in columns)
            out.append(GroupAirtime(group.number, group.name, titles, [
                AirtimeRecord(row.name, row.turns, row.skipped, row.spoken, clock(row.spoken),
                              tuple(clock(row.by_meeting.get(k, 0)) for k in columns))
                for row in rows
            ]))
        return out

    def _questions(self, ws, group_names: dict, _) -> list[QuestionRecord]:
        return [
            QuestionRecord(at=_local(q.at),
                           to=group_names.get(q.group_id, "?") if q.group_id else _("All groups"),
                           purpose=_(PURPOSES[q.purpose]) if q.purpose in PURPOSES else "",
                           text=q.text)
            for q in self.store.find_questions_asked(ws.id)
        ]

    def _room_log(self, ws, revision: int, group_names: dict, meetings, _) -> list[RoomEvent]:
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
        return [replace(e, at=_local(e.at)) for e in events]

    # -- follow-up across months -----------------------------------------------------------
    def _programme(self, ws, _) -> list[StageRecord]:
        return [StageRecord(s.number, s.key, s.title, s.status, _(STAGE_STATUS_TITLES[s.status]),
                            s.start, s.end, s.planned_start, s.planned_end, s.produced)
                for s in self.programme.view(ws)]

    def _progress(self, ws, titles: dict, names: dict, group_names: dict, texts: dict,
                  _) -> list[MeetingReports]:
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
            key = r.meeting_id if r.meeting_id in titles else None
            by_meeting.setdefault(key, []).append(ReportRecord(
                names.get(r.member_id, _("(left)")), group_names.get(r.group_id, ""), r.done,
                r.problems, r.help, tuple(changes.get(r.id, ()))))
        order = sorted(by_meeting, key=lambda k: (k is None, titles.get(k, (0,))[0]))
        return [MeetingReports(*(titles[k] if k is not None else (None, "")), by_meeting[k])
                for k in order]

    def _reflections(self, ws, meetings, names: dict) -> list[MeetingReflections]:
        rows = self.store.find_reflections(ws.id)
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

    def _lessons(self, ws, group_names: dict, lang: str, _) -> list[StageLessons]:
        lessons = self.store.find_lessons(ws.id)
        out = []
        for number, stage in enumerate(self.library.items("stages"), start=1):
            mine = [x for x in lessons if x.stage == stage.key]
            if mine:
                out.append(StageLessons(number, stage.title(lang), [
                    LessonRecord(x.text, group_names.get(x.group_id, ""), author(x.author, _),
                                 _local(x.at))
                    for x in mine]))
        return out

    def _decisions(self, ws, groups, titles: dict, _) -> list[GroupDecisions]:
        decisions = self.store.find_decisions(ws.id)
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

    def render(self, code: str, fmt: str) -> tuple[str, str, bytes]:
        """The record as a download: (file name, media type, content)."""
        from ..exporters import get_exporter

        exporter = get_exporter(fmt)
        record = self.build(code)
        content = exporter.render(record)
        data = content.encode("utf-8") if isinstance(content, str) else content
        return f"{record.code}-record{exporter.suffix}", exporter.media_type, data

    def export(self, code: str, fmt: str, out: str | Path) -> Path:
        from ..exporters import get_exporter  # exporters are optional heavy imports

        exporter = get_exporter(fmt)
        return exporter.export(self.build(code), Path(out))
