"""What the room shows on the projector and on participants' pages: the timer, the step, the
facilitator's question, the meeting rules, a group's speaking round, the readiness prompt.

Every view takes the page's :class:`RoomWatch` and redraws only when what it shows changed;
the countdowns redraw on :meth:`tick` (the page's live loop calls it a few times a second)
and only when the shown second changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.beep import chime
from actionlab.clock import utcnow
from actionlab.library import Library
from actionlab.services import Workbook
from actionlab.services.roomstate import ALL, HIDDEN, LOCKED, PRIVATE, Countdown, Queue, clock

from .common import (
    MessageLine,
    box,
    button,
    esc,
    guarded,
    hbox,
    html_box,
    set_shown,
    vbox,
    wb_classes,
)
from .roomwatch import RoomWatch

if TYPE_CHECKING:
    from actionlab.db.models import Member


def countdown_html(timer: Countdown, now, label: str, _, *, extra: str = "") -> str:
    left = timer.remaining(now)
    state = "up" if left <= 0 and timer.active else ("running" if timer.running else "paused")
    caption = _("Time is up") if state == "up" else label
    return (f'<div class="wb-countdown wb-countdown-{state}{extra}">'
            f'<span class="wb-countdown-clock">{esc(clock(left))}</span>'
            f'<span class="wb-countdown-label">{esc(caption)}</span></div>')


class TimerDisplay:
    """The room timer, big. With ``sound`` the page plays a chime once at zero when the
    facilitator has switched the signal on."""

    def __init__(self, room: RoomWatch, title_of, _, *, sound: bool = False):
        self.room = room
        self.title_of = title_of  # step key → title
        self._ = _
        self.html = html_box("", "wb-timer")
        self.audio_box = box((), "wb-timer-audio")
        self.sound = sound
        self._shown = None
        self._was_up = True
        self.widget = vbox([self.html, self.audio_box], "wb-timer-box", shown=False)  # until a timer runs
        self.tick()

    def tick(self, now=None) -> None:
        now = now or utcnow()
        state = self.room.state
        timer = state.timer
        if not timer.seconds:
            set_shown(self.widget, False)
            return
        set_shown(self.widget, True)
        value = countdown_html(timer, now, self.title_of(state.timer_label), self._)
        if value != self._shown:
            self.html.value = self._shown = value
        up = timer.active and timer.remaining(now) <= 0
        if up and not self._was_up and self.sound and state.sound:
            self.audio_box.children = [w.Audio(value=chime(), format="wav", autoplay=True,
                                               loop=False, controls=False,
                                               **wb_classes("wb-timer-chime"))]
        elif not up and self.audio_box.children:
            self.audio_box.children = []
        self._was_up = up


class StepBanner:
    """Where the room (or the group) is in the agenda: "Step 2 of 5 · Goals", and what the
    step's canvas allows."""

    def __init__(self, workbook: Workbook, room: RoomWatch, _, group_id: int | None = None,
                 *, only_when_apart: bool = False):
        self.workbook = workbook
        self.room = room
        self._ = _
        self.group_id = group_id
        self.only_when_apart = only_when_apart  # a projector panel: only when the group is elsewhere
        self.html = html_box("", "wb-step-banner")
        self.widget = self.html
        self.steps = room.steps
        self.refresh()

    def refresh(self) -> None:
        _ = self._
        ws = self.room.workshop
        self.steps = self.room.steps
        index, step = self.workbook.room.current_step(ws, self.group_id, self.steps)
        apart = self.room.state.step_of(self.group_id) != self.room.state.step_all
        if step is None or (self.only_when_apart and not apart):
            self.html.value = ""
            return
        title = self.workbook.room.step_title(step, ws.lang, _)
        mode = self.room.state.mode(step.canvas) if step.canvas else None
        badges = {LOCKED: _("locked"), HIDDEN: _("hidden"), PRIVATE: _("private writing")}
        badge = (f' <span class="wb-step-badge wb-step-badge-{mode}">{esc(badges[mode])}</span>'
                 if mode in badges else "")
        self.html.value = (
            f'<div class="wb-step" data-step="{index}" data-kind="{esc(step.kind)}">'
            f'<span class="wb-step-count">{esc(_("Step {n} of {total}", n=index + 1, total=len(self.steps)))}</span>'
            f' <span class="wb-step-title">{esc(title)}</span>{badge}</div>')

    def title_of(self, key: str) -> str:
        for step in self.steps:
            if step.key == key:
                return self.workbook.room.step_title(step, self.room.workshop.lang, self._)
        return ""


class QuestionBanner:
    """The question the facilitator put to this group (or the room)."""

    def __init__(self, room: RoomWatch, _, group_id: int | None = None, *, own_only: bool = False):
        self.room = room
        self._ = _
        self.group_id = group_id
        self.own_only = own_only  # a projector panel: the room's question is shown once above
        self.widget = html_box("", "wb-question-banner")
        self.refresh()

    def refresh(self) -> None:
        q = self.room.state.question_for(self.group_id)
        if self.group_id is None:  # the projector's top: only questions to the whole room
            q = self.room.state.questions.get(ALL)
        elif self.own_only:
            q = self.room.state.questions.get(self.group_id)
        parts = []
        if q is not None:
            parts.append(f'<div class="wb-question" data-question="{q.id}">'
                         f'<span class="wb-question-label">{esc(self._("The facilitator asks"))}</span>'
                         f'<span class="wb-question-text">{esc(q.text)}</span></div>')
        if self._asks_questions_first():  # people see the rule before a statement is refused
            parts.append(f'<div class="wb-questions-first-on">'
                         f'{esc(self._("Questions first: only questions are taken until the facilitator opens statements."))}'  # noqa: E501
                         f'</div>')
        self.widget.value = "".join(parts)

    def _asks_questions_first(self) -> bool:
        state = self.room.state  # the projector's top (no group) has the whole room's setting
        if self.own_only:  # a projector panel: only a group's own setting (the room's is above)
            return bool(state.question_first.get(self.group_id, False))
        return state.asks_questions_first(self.group_id)


def rules_html(library: Library, lang: str, _) -> str:
    items = "".join(f'<li><b>{esc(r.title(lang))}</b> — {esc(r.body(lang))}</li>'
                    for r in library.items("rules"))
    return (f'<div class="wb-rules"><div class="wb-rules-title">{esc(_("Meeting rules"))}</div>'
            f'<ol class="wb-rules-list">{items}</ol></div>')


class RulesPanel:
    """The ten meeting rules: up when the facilitator shows them, and on demand (a closed
    details element) the rest of the time."""

    def __init__(self, library: Library, room: RoomWatch, _, *, on_demand: bool = True):
        self.room = room
        self._ = _
        self.on_demand = on_demand
        self.body = rules_html(library, room.workshop.lang, _)
        self.widget = html_box("", "wb-rules-panel")
        self._shown = None
        self.refresh()

    def refresh(self) -> None:
        shown = self.room.state.rules
        if shown == self._shown:
            return
        self._shown = shown
        if shown:
            self.widget.value = f'<div class="wb-rules-up">{self.body}</div>'
        elif self.on_demand:
            self.widget.value = (f'<details class="wb-rules-on-demand"><summary>{esc(self._("Meeting rules"))}'
                                 f'</summary>{self.body}</details>')
        else:
            self.widget.value = ""


class QueueDisplay:
    """A group's speaking round: who speaks now with their countdown, who is next, and the
    time each person has spoken in this meeting."""

    def __init__(self, workbook: Workbook, room: RoomWatch, group_id: int, names, _):
        self.workbook = workbook
        self.room = room
        self.group_id = group_id
        self.names = names  # member id → name
        self._ = _
        self.html = html_box("", "wb-queue")
        self.widget = self.html
        self._shown = None
        self.tick()

    def tick(self, now=None) -> None:
        _ = self._
        queue: Queue | None = self.room.state.queue(self.group_id)
        if queue is None:
            value = ""
        elif queue.done:
            value = f'<div class="wb-queue-box wb-queue-done">{esc(_("Everyone has had their turn."))}</div>'
        else:
            now = now or utcnow()
            turn = queue.turn if queue.turn.active else Countdown(queue.seconds, False, None,
                                                                  float(queue.seconds))
            name = self.names(queue.current) or "?"
            nxt = esc(_(", ")).join(esc(self.names(m) or "?") for m in queue.upcoming) or esc(_("nobody"))
            value = (f'<div class="wb-queue-box">'
                     f'<div class="wb-queue-now"><span class="wb-queue-label">{esc(_("Speaking now"))}</span>'
                     f' <span class="wb-queue-speaker">{esc(name)}</span>'
                     f' <span class="wb-queue-position">{queue.index + 1}/{len(queue.order)}</span></div>'
                     f'{countdown_html(turn, now, _("each person has {t}", t=clock(queue.seconds)), _, extra=" wb-queue-clock")}'
                     f'<div class="wb-queue-next"><span class="wb-queue-label">{esc(_("Next"))}</span> {nxt}</div>'
                     f'</div>')
        if value != self._shown:
            self.html.value = self._shown = value


class ReadyPrompt:
    """The facilitator asks "ready?": two big buttons, and the member's answer shown."""

    def __init__(self, workbook: Workbook, room: RoomWatch, member: Member, _):
        self.workbook = workbook
        self.room = room
        self.member = member
        self._ = _
        self.message = MessageLine(_)
        self.ready = button(_("Ready"), "wb-ready-yes", style="success")
        self.more = button(_("Need 2 more minutes"), "wb-ready-more", style="warning")
        self.ready.on_click(lambda _b: self._answer("ready"))
        self.more.on_click(lambda _b: self._answer("more"))
        self.answered = html_box("", "wb-ready-answer")
        self.widget = vbox([
            html_box(f'<div class="wb-ready-question">{esc(_("Is your group ready to move on?"))}</div>'),
            hbox([self.ready, self.more]), self.answered, self.message.widget,
        ], "wb-ready-prompt", shown=False)  # until the facilitator asks
        self._prompt = None
        self.refresh()

    def refresh(self) -> None:
        prompt = self.room.state.prompt_for(self.member.group_id)
        set_shown(self.widget, bool(prompt))
        if prompt != self._prompt:
            self._prompt = prompt
            self.answered.value = ""
            self.message.clear()

    def _answer(self, answer: str) -> None:
        def send() -> bool:
            self.workbook.timer.answer(self.room.workshop, self.member, answer)
            return True

        if guarded(self.message, send):
            text = self._("You answered: ready") if answer == "ready" else self._("You asked for 2 more minutes")
            self.answered.value = f'<div class="wb-notice">{esc(text)}</div>'
