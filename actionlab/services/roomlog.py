"""The room log of a session record: what was done in the room, one translated line each.

Reads the change log (meetings, steps, what a canvas allows, rules, entry, the timer, the
readiness question, questions, speaking rounds) and the speaking turns, which say who spoke
for how long or why they did not. Left out: the projector's theme and sound, attendance
marks (the record lists attendance per meeting) and what participants answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..i18n import N_, Translator
from ..library import default_library
from ..record import RoomEvent
from ..rows import model_name
from .room import Step
from .roomstate import HIDDEN, LOCKED, OPEN, PRIVATE, clock
from .speaking import SKIP_REASONS

if TYPE_CHECKING:
    from ..db.models import Change, Meeting, SpeakingTurn

MODE_TITLES = {
    OPEN: N_("open"),
    LOCKED: N_("locked"),
    HIDDEN: N_("hidden"),
    PRIVATE: N_("private writing"),
}


@dataclass(frozen=True)
class LogContext:
    """What the log needs besides the rows: names and the agenda of each meeting."""

    groups: dict[int, str]  # group id → name
    meetings: dict[int, Meeting]  # meeting id → meeting
    default_steps: list[Step]  # the agenda when no meeting is running
    step_title: Callable[[Step], str]  # a step's title in the workshop's language


class _Reader:
    """Turns one change row into a line; follows which meeting (agenda) is in the room."""

    def __init__(self, ctx: LogContext, _: Translator):
        self.ctx = ctx
        self._ = _
        self.meeting: Meeting | None = None

    def to(self, group_id: int | None) -> str:
        if group_id is None:
            return self._("All groups")
        return self.ctx.groups.get(group_id, "?")

    def canvas(self, key) -> str:
        return self.ctx.step_title(Step(str(key), "canvas", 0, canvas=str(key)))

    def step(self, payload: dict) -> Step:
        agenda = self.meeting.agenda if self.meeting is not None and self.meeting.agenda else None
        steps = [Step.from_dict(raw) for raw in agenda] if agenda else self.ctx.default_steps
        for step in steps:
            if step.key == payload.get("step"):
                return step
        return Step.from_dict({"key": payload.get("step"), "canvas": payload.get("canvas"),
                               "kind": payload.get("step")})

    def survey(self, key) -> str:
        form = default_library().surveys().get(str(key))
        return form.title(self._.lang) if form is not None else str(key)

    def line(self, change: Change) -> str | None:
        handler = _HANDLERS.get(change.action)
        return handler(self, change.payload or {}, change.group_id) if handler else None


def _meeting_start(r: _Reader, p: dict, _group) -> str:
    r.meeting = r.ctx.meetings.get(p.get("meeting_id"))
    return r._("Meeting {number} started: {title}", number=p.get("number"), title=p.get("title"))


def _meeting_end(r: _Reader, p: dict, _group) -> str:
    meeting = r.ctx.meetings.get(p.get("meeting_id"))
    r.meeting = None
    if meeting is None:
        return r._("The meeting ended")
    return r._("Meeting {number} ended: {title}", number=meeting.number, title=meeting.title)


def _step(r: _Reader, p: dict, group) -> str:
    n, title = int(p.get("index") or 0) + 1, r.ctx.step_title(r.step(p))
    if group is None:
        return r._("Step {n}: {title} (all groups)", n=n, title=title)
    return r._("{group} moved to step {n}: {title}", group=r.to(group), n=n, title=title)


def _mode(r: _Reader, p: dict, _group) -> str:
    mode = r._(MODE_TITLES.get(p.get("mode"), str(p.get("mode"))))
    return r._("{canvas} set to {mode}", canvas=r.canvas(p.get("canvas")), mode=mode)


def _switch(on: str, off: str, key: str):
    def line(r: _Reader, p: dict, _group) -> str:
        return r._(on if p.get(key) else off)
    return line


def _question_first(r: _Reader, p: dict, group) -> str:
    if p.get("on"):
        return r._("Questions first: {to}", to=r.to(group))
    return r._("Statements allowed again: {to}", to=r.to(group))


def _timer(message: str, key: str = "remaining"):
    def line(r: _Reader, p: dict, _group) -> str:
        return r._(message, time=clock(p.get(key) or 0))
    return line


def _round_setup(r: _Reader, p: dict, group) -> str:
    return r._("{group}: speaking round for {n} people, {time} each", group=r.to(group),
               n=len(p.get("order") or ()), time=clock(p.get("seconds") or 0))


_HANDLERS: dict[str, Callable[[_Reader, dict, int | None], str | None]] = {
    "meeting.start": _meeting_start,
    "meeting.end": _meeting_end,
    "room.step": _step,
    "room.mode": _mode,
    "room.reveal": lambda r, p, _g: r._("Private writing revealed: {canvas}",
                                        canvas=r.canvas(p.get("canvas"))),
    "room.rules": _switch(N_("Rules shown on screen"), N_("Rules taken off the screen"), "rules"),
    "room.entry": _switch(N_("Entry closed to newcomers"), N_("Entry open again"), "entry_locked"),
    "room.question_first": _question_first,
    "timer.start": _timer(N_("Timer started: {time}")),
    "timer.pause": _timer(N_("Timer paused, {time} left")),
    "timer.extend": _timer(N_("Timer extended, {time} left")),
    "timer.reset": _timer(N_("Timer set to {time}"), "seconds"),
    "prompt.ask": lambda r, _p, g: (r._("Asked everyone: ready to move on?") if g is None else
                                    r._("Asked {group}: ready to move on?", group=r.to(g))),
    "prompt.close": lambda r, _p, _g: r._("Readiness question closed"),
    "question.push": lambda r, p, g: r._("Question to {to}: {text}", to=r.to(g),
                                         text=p.get("text", "")),
    "question.clear": lambda r, _p, g: r._("Question taken down: {to}", to=r.to(g)),
    "round.setup": _round_setup,
    "round.end": lambda r, _p, g: r._("{group}: speaking round ended", group=r.to(g)),
    "survey.open": lambda r, p, _g: r._("Survey opened on the devices: {survey}",
                                        survey=r.survey(p.get("survey"))),
    "survey.close": lambda r, p, _g: r._("Survey closed: {survey}", survey=r.survey(p.get("before"))),
}


def _turn_line(r: _Reader, turn: SpeakingTurn) -> str:
    group = r.to(turn.group_id)
    if turn.skipped:
        reason = r._(SKIP_REASONS.get(turn.reason or "", turn.reason or "?"))
        return r._("{group}: {name} skipped ({reason})", group=group, name=turn.member_name,
                   reason=reason)
    return r._("{group}: {name} spoke {spoken} of {allotted}", group=group,
               name=turn.member_name, spoken=clock(turn.spoken), allotted=clock(turn.allotted))


def room_log(changes: Iterable[Change], turns: Iterable[SpeakingTurn], ctx: LogContext,
             _: Translator) -> list[RoomEvent]:
    """The room's events, oldest first, times as stored (UTC). A turn stands where it ended,
    before the change that ended it."""
    reader = _Reader(ctx, _)
    rows: list[tuple[datetime, int, object]] = [(t.ended_at, 0, t) for t in turns]
    rows += [(c.at, 1, c) for c in changes]
    events = []
    for at, _kind, row in sorted(rows, key=lambda item: (item[0], item[1])):
        text = _turn_line(reader, row) if model_name(row) == "SpeakingTurn" else reader.line(row)
        if text:
            events.append(RoomEvent(at=at, text=text))
    return events
