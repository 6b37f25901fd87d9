"""Follow-up meetings on the phones and the projector: the progress report form, the review
form (回顾小结), and a group's follow-up view (open actions, reports received, reviews,
the decision), each shown when the group's agenda step is of that kind.

No pandas or matplotlib here: participant pages import this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.decisions import OUTCOMES
from actionlab.services.live import ChangeBatch

from .common import MessageLine, button, esc, guarded, hbox, html_box, set_shown, vbox, wb_classes
from .roomwatch import RoomWatch

if TYPE_CHECKING:
    from actionlab.db.models import Group, Member

#: Step kinds that show a form or a follow-up view.
PROGRESS, REVIEW, TRACKING, DECISION = "progress", "review", "tracking", "decision"
FOLLOWUP_ENTITIES = ("progress", "reflection", "card", "decision", "lesson", "member", "meeting")


def step_kind(workbook: Workbook, room: RoomWatch, group_id: int | None) -> str | None:
    _index, step = workbook.room.current_step(room.workshop, group_id, room.steps)
    return step.kind if step is not None else None


def rating(label: str, css: str) -> w.ToggleButtons:
    return w.ToggleButtons(options=[str(n) for n in range(1, 6)], value=None,
                           description=label, style={"description_width": "initial",
                                                     "button_width": "3em"}, **wb_classes(css))


def textarea(placeholder: str, css: str, rows: int = 2) -> w.Textarea:
    return w.Textarea(placeholder=placeholder, rows=rows, continuous_update=False,
                      layout=w.Layout(width="100%"), **wb_classes(css))


class StepForm:
    """A form that shows itself while the member's group is at a step of ``kind``."""

    kind = ""

    def __init__(self, workbook: Workbook, room: RoomWatch, member: Member, _):
        self.workbook = workbook
        self.room = room
        self.member = member
        self._ = _
        self.message = MessageLine(_)
        self.widget = vbox((), self.css, shown=False)  # in its step of a meeting only
        self._shown_for = None  # (meeting id, step kind) the form was filled for
        self.refresh()

    css = "wb-step-form"

    def refresh(self) -> None:
        kind = step_kind(self.workbook, self.room, self.member.group_id)
        meeting = self.room.state.meeting_id
        shown = kind == self.kind and bool(meeting)
        set_shown(self.widget, shown)
        if shown and self._shown_for != (meeting, kind):
            self._shown_for = (meeting, kind)
            self.fill()

    def fill(self) -> None:
        raise NotImplementedError

    def on_changes(self, batch: ChangeBatch) -> None:
        self.refresh()


class ProgressForm(StepForm):
    """Each member reports on their sub-task and actions: what was done, problems met, help
    needed, and the new status of each of their actions."""

    kind = PROGRESS
    css = "wb-progress-form"

    def fill(self) -> None:
        _ = self._
        ws = self.room.workshop
        titles = self.workbook.progress.status_titles(ws.lang)
        report = self.workbook.progress.my_report(ws, self.member)
        self.rows: list[tuple[int, w.Dropdown, w.Text]] = []
        action_boxes = []
        for row in self.workbook.progress.my_actions(ws, self.member):
            status = w.Dropdown(options=[(t, k) for k, t in titles.items()], value=row.status,
                                layout=w.Layout(width="9em"), **wb_classes("wb-progress-status"))
            note = w.Text(placeholder=_("Note (optional)"), continuous_update=False,
                          layout=w.Layout(width="100%"), **wb_classes("wb-progress-note"))
            due = row.due.isoformat() if row.due else "—"
            late = f' <span class="wb-overdue">{esc(_("overdue"))}</span>' if row.overdue else ""
            action_boxes.append(vbox([
                html_box(f'<div class="wb-progress-action-text">{esc(row.card.text)}'
                         f' <span class="wb-due">{esc(_("due {date}", date=due))}</span>{late}</div>'),
                hbox([status, note]),
            ], "wb-progress-action"))
            self.rows.append((row.card.id, status, note))
        self.done = textarea(_("What I did since the last meeting"), "wb-progress-done", 3)
        self.problems = textarea(_("Problems I met"), "wb-progress-problems")
        self.help = textarea(_("Help I need from the group"), "wb-progress-help")
        if report is not None:
            self.done.value, self.problems.value, self.help.value = (
                report.done, report.problems, report.help)
        send = button(_("Send my report"), "wb-progress-submit", style="primary")
        send.on_click(lambda _b: self.submit())
        self.sent = html_box(
            f'<div class="wb-notice">{esc(_("Your report is in. You can still change it."))}</div>'
            if report is not None else "", "wb-progress-sent")
        sub = self.member.subtask or _("(no sub-task written yet)")
        self.widget.children = [
            html_box(f'<h3>{esc(_("My progress report"))}</h3>'
                     f'<div class="wb-progress-subtask"><span class="wb-label">{esc(_("My sub-task"))}</span> '
                     f'{esc(sub)}</div>'),
            html_box(f'<div class="wb-label">{esc(_("My actions"))}</div>'
                     + ("" if self.rows else f'<div class="wb-empty">{esc(_("No actions are yours yet."))}</div>')),
            *action_boxes, self.done, self.problems, self.help, send, self.sent,
            self.message.widget,
        ]

    def submit(self) -> None:
        statuses = {card_id: status.value for card_id, status, _note in self.rows}
        notes = {card_id: note.value for card_id, _status, note in self.rows if note.value.strip()}
        report = guarded(self.message, self.workbook.progress.report, self.room.workshop,
                         self.member, done=self.done.value, problems=self.problems.value,
                         help=self.help.value, statuses=statuses, notes=notes)
        if report is not None:
            for _card, _status, note in self.rows:
                note.value = ""
            self.sent.value = f'<div class="wb-notice">{esc(self._("Your report is in. You can still change it."))}</div>'


class ReflectionForm(StepForm):
    """The review at the end of the meeting: the meeting's quality, one's own part, one
    improvement, and a lesson learned for the log."""

    kind = REVIEW
    css = "wb-reflection-form"

    def fill(self) -> None:
        _ = self._
        mine = self.workbook.reflection.my_reflection(self.room.workshop, self.member)
        self.quality = rating(_("How good was this meeting? (1–5)"), "wb-reflection-quality")
        self.own = rating(_("How well did I take part? (1–5)"), "wb-reflection-own")
        self.improvement = textarea(_("One thing to do better next time"), "wb-reflection-improvement")
        self.lesson = textarea(_("A lesson I learned (optional, goes into the lessons log)"),
                               "wb-reflection-lesson")
        if mine is not None:
            self.quality.value, self.own.value = str(mine.quality), str(mine.own_part)
            self.improvement.value = mine.improvement
        send = button(_("Send my review"), "wb-reflection-submit", style="primary")
        send.on_click(lambda _b: self.submit())
        self.sent = html_box(
            f'<div class="wb-notice">{esc(_("Thank you. Your review is in."))}</div>' if mine else "",
            "wb-reflection-sent")
        self.widget.children = [
            html_box(f'<h3>{esc(_("Review of the meeting"))}</h3>'),
            self.quality, self.own, self.improvement, self.lesson, send, self.sent,
            self.message.widget,
        ]

    def submit(self) -> None:
        done = guarded(self.message, self.workbook.reflection.reflect, self.room.workshop,
                       self.member, quality=self.quality.value, own_part=self.own.value,
                       improvement=self.improvement.value, lesson=self.lesson.value)
        if done is not None:
            self.lesson.value = ""
            self.sent.value = f'<div class="wb-notice">{esc(self._("Thank you. Your review is in."))}</div>'


class GroupFollowup:
    """What a group's follow-up step shows to everyone (a phone or a projector panel): the open
    actions from the last meeting, the reports received, the reviews, the decision."""

    def __init__(self, workbook: Workbook, room: RoomWatch, group: Group, names, _):
        self.workbook = workbook
        self.room = room
        self.group = group
        self.names = names  # member id → name
        self._ = _
        self.widget = html_box("", "wb-group-followup", shown=False)  # when it has something
        self.refresh()

    def on_changes(self, batch: ChangeBatch) -> None:
        if self.room.changed or any(batch.touches(e, self.group.id) for e in FOLLOWUP_ENTITIES):
            self.refresh()

    def refresh(self) -> None:
        kind = step_kind(self.workbook, self.room, self.group.id)
        meeting = self.room.state.meeting_id
        view = {TRACKING: self._open_actions, PROGRESS: self._reports,
                REVIEW: self._reviews, DECISION: self._decision}.get(kind)
        html = view(meeting) if view is not None and meeting else ""
        if html != self.widget.value:
            self.widget.value = html
        set_shown(self.widget, bool(html))  # its frame, empty, was an empty box on the page

    def _open_actions(self, _meeting) -> str:
        _ = self._
        ws = self.room.workshop
        titles = self.workbook.progress.status_titles(ws.lang)
        rows = self.workbook.progress.open_actions(ws, self.group.id)
        items = "".join(
            f'<li class="wb-open-action{" wb-overdue-action" if r.overdue else ""}">'
            f'<span class="wb-open-action-text">{esc(r.card.text)}</span>'
            f' <span class="wb-open-action-owner">{esc(self.names(r.owner_id) if r.owner_id else "—")}</span>'
            f' <span class="wb-open-action-due">{esc(r.due.isoformat() if r.due else "—")}</span>'
            f' <span class="wb-status wb-status-{esc(r.status)}">{esc(titles.get(r.status, r.status))}</span>'
            + (f' <span class="wb-overdue">{esc(_("overdue"))}</span>' if r.overdue else "")
            + "</li>" for r in rows)
        body = (f'<ul class="wb-open-actions">{items}</ul>' if rows
                else f'<div class="wb-empty">{esc(_("No open actions."))}</div>')
        return f'<div class="wb-followup-title">{esc(_("Open actions"))}</div>{body}'

    def _reports(self, meeting: int) -> str:
        _ = self._
        ws = self.room.workshop
        reports = self.workbook.progress.reports(ws, meeting, self.group.id)
        members = [m for m in self.workbook.workshops.members(ws) if m.group_id == self.group.id]
        items = "".join(
            f'<li class="wb-report"><b class="wb-report-name">{esc(self.names(r.member_id))}</b>'
            + (f'<div class="wb-report-done">{esc(r.done)}</div>' if r.done else "")
            + (f'<div class="wb-report-problems"><span class="wb-label">{esc(_("Problems"))}</span> {esc(r.problems)}</div>' if r.problems else "")
            + (f'<div class="wb-report-help"><span class="wb-label">{esc(_("Help needed"))}</span> {esc(r.help)}</div>' if r.help else "")
            + "</li>" for r in reports)
        count = _("{n} of {total} have reported", n=len(reports), total=len(members))
        return (f'<div class="wb-followup-title">{esc(_("Progress reports"))}'
                f' <span class="wb-report-count">{esc(count)}</span></div>'
                f'<ul class="wb-reports">{items}</ul>')

    def _reviews(self, meeting: int) -> str:
        _ = self._
        summary = self.workbook.reflection.summary(self.room.workshop, meeting)
        n, quality, own = summary.by_group.get(self.group.id, (0, None, None))
        if not n:
            return (f'<div class="wb-followup-title">{esc(_("Review of the meeting"))}</div>'
                    f'<div class="wb-empty wb-review-count">{esc(_("No reviews yet."))}</div>')
        return (f'<div class="wb-followup-title">{esc(_("Review of the meeting"))}</div>'
                f'<div class="wb-review-count">{esc(_("Reviews: {n}", n=n))}</div>'
                f'<div class="wb-review-scores">{esc(_("Meeting {q} / 5 · own part {o} / 5", q=quality, o=own))}</div>')

    def _decision(self, _meeting) -> str:
        _ = self._
        decision = self.workbook.decisions.latest(self.room.workshop).get(self.group.id)
        if decision is None:
            return (f'<div class="wb-followup-title">{esc(_("Decision"))}</div>'
                    f'<div class="wb-empty">{esc(_("Not decided yet."))}</div>')
        return (f'<div class="wb-followup-title">{esc(_("Decision"))}</div>'
                f'<div class="wb-decision wb-decision-{esc(decision.outcome)}">'
                f'<span class="wb-decision-outcome">{esc(_(OUTCOMES[decision.outcome]))}</span>'
                f'<div class="wb-decision-proposal">{esc(decision.proposal)}</div>'
                f'<div class="wb-decision-reasons"><span class="wb-label">{esc(_("Reasons"))}</span> {esc(decision.reasons)}</div>'
                + (f'<div class="wb-decision-conditions"><span class="wb-label">{esc(_("Conditions"))}</span> {esc(decision.conditions)}</div>'
                   if decision.conditions else "") + "</div>")
