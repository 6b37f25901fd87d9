"""The console's follow-up tab: a meeting's progress reports and reviews, the open and overdue
actions of every group, the lessons log by stage, and the decisions on the groups' proposals."""

from __future__ import annotations

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.decisions import OUTCOMES
from actionlab.services.live import ChangeBatch
from actionlab.services.reflection import same_together

from .cardform import _set_options
from .common import MessageLine, button, esc, guarded, html_box, local_time, wb_classes
from .followup import textarea
from .roomwatch import RoomWatch

WATCHED = ("progress", "reflection", "card", "decision", "lesson", "member", "meeting", "room")


def _cell(text: str, css: str) -> str:
    return f'<td class="{css}">{esc(text)}</td>'


class FollowupPanel:
    def __init__(self, workbook: Workbook, room: RoomWatch, names, _, charts=None):
        self.workbook = workbook
        self.room = room
        self.names = names  # member id → name
        self._ = _
        self.lang = room.workshop.lang
        self.message = MessageLine(_)
        ws = room.workshop
        self.groups = workbook.workshops.groups(ws)
        self.group_names = {g.id: g.name for g in self.groups}

        # -- a meeting's reports and reviews ------------------------------------------------
        self.meeting = w.Dropdown(options=[], layout=w.Layout(width="22em"),
                                  **wb_classes("wb-followup-meeting"))
        self.meeting.observe(lambda _c: self.refresh_meeting(), names="value")
        self.reports = html_box("", "wb-followup-reports")
        self.reviews = html_box("", "wb-followup-reviews")
        # -- tracking ------------------------------------------------------------------------
        self.open_actions = html_box("", "wb-followup-open")
        self.charts = charts  # optional: the tracking charts (facilitator side, matplotlib)
        # -- lessons -------------------------------------------------------------------------
        stages = workbook.reflection.stages()
        self.lesson_stage = w.Dropdown(options=[(s.title(self.lang), s.key) for s in stages],
                                       value="learning", layout=w.Layout(width="14em"),
                                       **wb_classes("wb-lesson-stage"))
        self.lesson_group = w.Dropdown(options=[(_("Whole class"), 0)]
                                       + [(g.name, g.id) for g in self.groups], value=0,
                                       layout=w.Layout(width="12em"),
                                       **wb_classes("wb-lesson-group"))
        self.lesson_text = textarea(_("A lesson learned"), "wb-lesson-text")
        add_lesson = button(_("Add to the lessons log"), "wb-lesson-add")
        add_lesson.on_click(lambda _b: self._add_lesson())
        self.lessons = html_box("", "wb-lessons-log")
        # -- decisions -----------------------------------------------------------------------
        self.decide_group = w.Dropdown(options=[(g.name, g.id) for g in self.groups],
                                       layout=w.Layout(width="12em"),
                                       **wb_classes("wb-decision-group"))
        self.decide_group.observe(lambda _c: self._fill_proposal(), names="value")
        self.proposal = textarea(_("The proposal"), "wb-decision-proposal-input", 3)
        self.outcome = w.ToggleButtons(options=[(_(t), k) for k, t in OUTCOMES.items()],
                                       value=None, **wb_classes("wb-decision-outcome-input"))
        self.reasons = textarea(_("Reasons"), "wb-decision-reasons-input")
        self.conditions = textarea(_("Conditions (optional)"), "wb-decision-conditions-input")
        decide = button(_("Record the decision"), "wb-decision-submit", style="primary")
        decide.on_click(lambda _b: self._decide())
        self.decisions = html_box("", "wb-decisions")

        sections = [
            html_box(f'<h4>{esc(_("Progress reports and reviews"))}</h4>'),
            w.HBox([html_box(f'<span class="wb-label">{esc(_("Meeting"))}</span>'), self.meeting]),
            self.reports, self.reviews,
            html_box(f'<h4>{esc(_("Open actions"))}</h4>'),
            self.open_actions,
        ]
        if charts is not None:
            sections.append(charts.widget)
        sections += [
            html_box(f'<h4>{esc(_("Lessons learned"))}</h4>'),
            w.HBox([self.lesson_stage, self.lesson_group]), self.lesson_text, add_lesson,
            self.lessons,
            html_box(f'<h4>{esc(_("Decisions on the proposals"))}</h4>'),
            self.decide_group, self.proposal, self.outcome, self.reasons, self.conditions,
            decide, self.message.widget, self.decisions,
        ]
        self.widget = w.VBox(sections, **wb_classes("wb-followup-panel"))
        self.refresh()
        self._fill_proposal()

    # -- refreshing --------------------------------------------------------------------------
    def refresh(self) -> None:
        self.refresh_meetings()
        self.refresh_meeting()
        self.refresh_tracking()
        self.refresh_lessons()
        self.refresh_decisions()

    def on_changes(self, batch: ChangeBatch) -> None:
        if batch.touches("meeting") or batch.touches("room"):
            self.refresh_meetings()
        if any(batch.touches(e) for e in ("progress", "reflection", "member")):
            self.refresh_meeting()
        if batch.touches("card") or batch.touches("progress"):
            self.refresh_tracking()
        if batch.touches("lesson"):
            self.refresh_lessons()
        if batch.touches("decision"):
            self.refresh_decisions()
        if self.charts is not None:
            self.charts.on_changes(batch)

    def refresh_meetings(self) -> None:
        meetings = [m for m in self.workbook.meetings.meetings(self.room.workshop)
                    if m.started_at is not None]
        options = [(f"{m.number}. {m.title}" + (f" · {m.held_on.isoformat()}" if m.held_on else ""), m.id)
                   for m in meetings]
        current = self.room.state.meeting_id
        wanted = self.meeting.value or current or (meetings[-1].id if meetings else None)
        _set_options(self.meeting, options)
        if wanted in {v for _l, v in options}:
            self.meeting.value = wanted

    def refresh_meeting(self) -> None:
        _ = self._
        ws = self.room.workshop
        meeting_id = self.meeting.value
        if not meeting_id:
            self.reports.value = f'<div class="wb-empty">{esc(_("No meeting has been held yet."))}</div>'
            self.reviews.value = ""
            return
        reports = self.workbook.progress.reports(ws, meeting_id)
        reported = {r.member_id for r in reports}
        everyone = self.workbook.workshops.members(ws)
        rows = []
        for group in self.groups:
            mine = [r for r in reports if r.group_id == group.id]
            members = [m for m in everyone if m.group_id == group.id]
            missing = [m.name for m in members if m.id not in reported]
            rows.append(f'<tr class="wb-followup-group"><th colspan="4">{esc(group.name)} · '
                        f'{esc(_("{n} of {total} have reported", n=len(mine), total=len(members)))}'
                        + (f' <span class="wb-followup-missing">{esc(_("Not yet: {names}", names=_(", ").join(missing)))}</span>'
                           if missing else "") + "</th></tr>")
            rows += [f'<tr class="wb-followup-report">{_cell(self.names(r.member_id), "wb-report-name")}'
                     f'{_cell(r.done, "wb-report-done")}{_cell(r.problems, "wb-report-problems")}'
                     f'{_cell(r.help, "wb-report-help")}</tr>' for r in mine]
        head = "".join(f"<th>{esc(t)}</th>" for t in (_("Member"), _("Progress"), _("Problems"), _("Help needed")))
        self.reports.value = f'<table class="wb-table wb-report-table"><tr>{head}</tr>{"".join(rows)}</table>'
        summary = self.workbook.reflection.summary(ws, meeting_id)
        if not summary.count:
            self.reviews.value = f'<div class="wb-empty">{esc(_("No reviews yet."))}</div>'
            return
        lines = [f'<div class="wb-review-overall">{esc(_("Reviews: {n} · meeting {q} / 5 · own part {o} / 5", n=summary.count, q=summary.quality, o=summary.own_part))}</div>']
        for group_id, (n, q, o) in summary.by_group.items():
            name = self.group_names.get(group_id, "—")
            scores = _("Reviews: {n} · meeting {q} / 5 · own part {o} / 5", n=n, q=q, o=o)
            lines.append(f'<div class="wb-review-group">{esc(_("{name}: {done}", name=name, done=scores))}</div>')
        ideas = "".join(
            f"<li>{esc(text)}" + (f' <span class="wb-review-idea-count">×{count}</span>' if count > 1 else "")
            + "</li>" for text, count in same_together(t for _m, t in summary.improvements))
        lines.append(f'<div class="wb-label">{esc(_("Improvements suggested"))}</div><ul class="wb-review-ideas">{ideas}</ul>')
        self.reviews.value = "".join(lines)

    def refresh_tracking(self) -> None:
        _ = self._
        ws = self.room.workshop
        titles = self.workbook.progress.status_titles(ws.lang)
        rows = self.workbook.progress.open_actions(ws)
        overdue = sum(r.overdue for r in rows)
        body = "".join(
            f'<tr class="wb-open-action{" wb-overdue-action" if r.overdue else ""}">'
            f'{_cell(self.group_names.get(r.card.group_id, ""), "wb-open-action-group")}'
            f'{_cell(r.card.text, "wb-open-action-text")}'
            f'{_cell(self.names(r.owner_id) if r.owner_id else "—", "wb-open-action-owner")}'
            f'{_cell(r.due.isoformat() if r.due else "—", "wb-open-action-due")}'
            f'{_cell(titles.get(r.status, r.status) + (" · " + _("overdue") if r.overdue else ""), "wb-open-action-status")}'
            f'{_cell(r.last.note if r.last and r.last.note else "", "wb-open-action-note")}</tr>'
            for r in rows)
        head = "".join(f"<th>{esc(t)}</th>" for t in (_("Group"), _("Action"), _("Owner"), _("Due"), _("Status"), _("Last note")))
        summary = _("{n} open, {late} overdue", n=len(rows), late=overdue)
        self.open_actions.value = (f'<div class="wb-open-summary">{esc(summary)}</div>'
                                   f'<table class="wb-table wb-open-table"><tr>{head}</tr>{body}</table>')

    def refresh_lessons(self) -> None:
        _ = self._
        ws = self.room.workshop
        parts = []
        for stage in self.workbook.reflection.stages():
            lessons = self.workbook.reflection.lessons(ws, stage=stage.key)
            if not lessons:
                continue
            items = "".join(
                f'<li class="wb-lesson"><span class="wb-lesson-text">{esc(x.text)}</span>'
                f' <span class="wb-lesson-meta">{esc(self.group_names.get(x.group_id, _("Whole class")))}'
                f' · {esc(x.author if x.member_id else _("facilitator"))} · {esc(local_time(x.at, "%Y-%m-%d"))}</span></li>'
                for x in lessons)
            parts.append(f'<div class="wb-lesson-stage wb-lesson-stage-{esc(stage.key)}">'
                         f'<b>{esc(stage.title(self.lang))}</b><ul>{items}</ul></div>')
        self.lessons.value = "".join(parts) or f'<div class="wb-empty">{esc(_("No lessons written yet."))}</div>'

    def refresh_decisions(self) -> None:
        _ = self._
        rows = "".join(
            f'<tr class="wb-decision-row wb-decision-{esc(d.outcome)}">'
            f'{_cell(self.group_names.get(d.group_id, ""), "wb-decision-group-name")}'
            f'{_cell(_(OUTCOMES[d.outcome]), "wb-decision-outcome")}'
            f'{_cell(d.proposal, "wb-decision-proposal")}{_cell(d.reasons, "wb-decision-reasons")}'
            f'{_cell(d.conditions, "wb-decision-conditions")}'
            f'{_cell(local_time(d.at, "%Y-%m-%d"), "wb-decision-date")}</tr>'
            for d in self.workbook.decisions.decisions(self.room.workshop))
        head = "".join(f"<th>{esc(t)}</th>" for t in (_("Group"), _("Decision"), _("Proposal"), _("Reasons"), _("Conditions"), _("Date")))
        self.decisions.value = (f'<table class="wb-table wb-decision-table"><tr>{head}</tr>{rows}</table>'
                                if rows else f'<div class="wb-empty">{esc(_("Not decided yet."))}</div>')

    # -- actions -----------------------------------------------------------------------------
    def _add_lesson(self) -> None:
        lesson = guarded(self.message, self.workbook.reflection.add_lesson, self.room.workshop,
                         self.lesson_stage.value, self.lesson_text.value,
                         group_id=self.lesson_group.value or None)
        if lesson is not None:
            self.lesson_text.value = ""
            self.refresh_lessons()

    def _fill_proposal(self) -> None:
        if self.decide_group.value:
            self.proposal.value = self.workbook.decisions.proposal(self.room.workshop,
                                                                   self.decide_group.value)

    def _decide(self) -> None:
        if self.outcome.value is None:
            self.message.notice(self._("Choose adopt, revise or reject."))
            return
        decision = guarded(self.message, self.workbook.decisions.decide, self.room.workshop,
                           self.decide_group.value, self.outcome.value,
                           proposal=self.proposal.value, reasons=self.reasons.value,
                           conditions=self.conditions.value)
        if decision is not None:
            self.reasons.value = self.conditions.value = ""
            self.outcome.value = None
            self.message.notice(self._("Decision recorded."))
            self.refresh_decisions()
