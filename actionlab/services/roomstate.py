"""The live state of a room, read from ``Workshop.room`` (one JSON document).

Pure data and arithmetic, no store: every page parses the document after a ``room`` change
and works out what to show; :mod:`actionlab.services.room` and its siblings write it.

``{"meeting": id, "step": {"all": i, "groups": {gid: i}}, "modes": {canvas: mode},
   "timer": {countdown}, "prompt": {"id", "group", "open"}, "questions": {"all"|gid: {…}},
   "question_first": {"all"|gid: bool}, "entry_locked": bool, "rules": bool,
   "theme": "dark"|"light", "sound": bool, "queues": {gid: {queue}}}``
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..db.models import Workshop


OPEN, LOCKED, HIDDEN, PRIVATE = "open", "locked", "hidden", "private"
MODES = (OPEN, LOCKED, HIDDEN, PRIVATE)
ALL = "all"


def parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Countdown:
    """A countdown that can run, pause and be extended. Times are UTC, naive (as stored).

    While running, ``ends_at`` is when it reaches zero; while paused, ``left`` holds the
    seconds that were left. ``remaining`` goes below zero once time is up (overtime)."""

    seconds: int = 0  # the time given, including extensions
    running: bool = False
    ends_at: datetime | None = None
    left: float = 0.0
    started_at: datetime | None = None  # when it first started (for the record)

    @property
    def active(self) -> bool:
        """Started and not reset: running, or paused with time on it."""
        return self.running or self.started_at is not None

    def remaining(self, now: datetime) -> float:
        if self.running and self.ends_at is not None:
            return (self.ends_at - now).total_seconds()
        return self.left

    def elapsed(self, now: datetime) -> float:
        return self.seconds - self.remaining(now)

    def start(self, now: datetime, seconds: int | None = None) -> Countdown:
        """Start afresh with ``seconds`` (or resume a paused countdown when None)."""
        if seconds is not None:
            return Countdown(int(seconds), True, now + timedelta(seconds=int(seconds)),
                             float(seconds), now)
        if self.running:
            return self
        return replace(self, running=True, ends_at=now + timedelta(seconds=self.left),
                       started_at=self.started_at or now)

    def pause(self, now: datetime) -> Countdown:
        if not self.running:
            return self
        return replace(self, running=False, ends_at=None, left=self.remaining(now))

    def extend(self, now: datetime, seconds: int) -> Countdown:
        """Add time; a countdown already past zero gets ``seconds`` from now."""
        seconds = int(seconds)
        left = max(self.remaining(now), 0.0) + seconds
        if self.running:
            return replace(self, seconds=self.seconds + seconds, ends_at=now + timedelta(seconds=left))
        return replace(self, seconds=self.seconds + seconds, left=left)

    def to_dict(self) -> dict:
        return {"seconds": self.seconds, "running": self.running, "ends_at": iso(self.ends_at),
                "left": self.left, "started_at": iso(self.started_at)}

    @classmethod
    def from_dict(cls, raw: dict | None) -> Countdown:
        raw = raw or {}
        try:
            return cls(int(raw.get("seconds", 0)), bool(raw.get("running", False)),
                       parse_time(raw.get("ends_at")), float(raw.get("left", 0.0)),
                       parse_time(raw.get("started_at")))
        except (TypeError, ValueError):
            return cls()


def clock(seconds: float) -> str:
    """mm:ss for a countdown display; past zero shows as -mm:ss."""
    sign = "-" if seconds < 0 else ""
    whole = int(abs(seconds) + (0.999 if seconds > 0 else 0))  # 0.2 s left still shows 0:01
    return f"{sign}{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True)
class Queue:
    """A group's speaking round: everyone gets ``seconds``; ``index`` is who speaks now."""

    order: tuple[int, ...] = ()
    index: int = 0
    seconds: int = 120
    turn: Countdown = field(default_factory=Countdown)

    @property
    def done(self) -> bool:
        return self.index >= len(self.order)

    @property
    def current(self) -> int | None:
        return None if self.done else self.order[self.index]

    @property
    def upcoming(self) -> tuple[int, ...]:
        return self.order[self.index + 1:]

    def to_dict(self) -> dict:
        return {"order": list(self.order), "index": self.index, "seconds": self.seconds,
                "turn": self.turn.to_dict()}

    @classmethod
    def from_dict(cls, raw: dict | None) -> Queue | None:
        if not raw:
            return None
        try:
            return cls(tuple(int(m) for m in raw.get("order", ())), int(raw.get("index", 0)),
                       int(raw.get("seconds", 120)), Countdown.from_dict(raw.get("turn")))
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Pushed:
    """A question the facilitator put up for one group or the whole room."""

    id: int
    text: str
    purpose: str | None = None


@dataclass(frozen=True)
class RoomState:
    meeting_id: int | None = None
    step_all: int = 0
    step_groups: dict[int, int] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    timer: Countdown = field(default_factory=Countdown)
    timer_label: str = ""
    prompt_id: int = 0
    prompt_group: int | None = None
    prompt_open: bool = False
    questions: dict = field(default_factory=dict)  # "all" | group id → Pushed
    question_first: dict = field(default_factory=dict)  # "all" | group id → bool
    entry_locked: bool = False
    rules: bool = False
    theme: str = "dark"
    sound: bool = False
    queues: dict[int, Queue] = field(default_factory=dict)

    # -- what one group sees -------------------------------------------------------------
    def step_of(self, group_id: int | None) -> int:
        if group_id is not None and group_id in self.step_groups:
            return self.step_groups[group_id]
        return self.step_all

    def mode(self, canvas: str) -> str:
        return self.modes.get(canvas, OPEN)

    def question_for(self, group_id: int | None) -> Pushed | None:
        """The newest question put to this group or to everyone."""
        found = [q for key, q in self.questions.items()
                 if q is not None and (key == ALL or key == group_id)]
        return max(found, key=lambda q: q.id) if found else None

    def asks_questions_first(self, group_id: int | None) -> bool:
        if group_id is not None and group_id in self.question_first:
            return bool(self.question_first[group_id])
        return bool(self.question_first.get(ALL, False))

    def prompt_for(self, group_id: int | None) -> int | None:
        """The id of the open readiness prompt this group should answer, if any."""
        if self.prompt_open and (self.prompt_group is None or self.prompt_group == group_id):
            return self.prompt_id
        return None

    def queue(self, group_id: int) -> Queue | None:
        return self.queues.get(group_id)


def _int_keys(raw: dict | None, value=lambda v: v) -> dict:
    out = {}
    for key, v in (raw or {}).items():
        if key == ALL:
            out[ALL] = value(v)
            continue
        try:
            out[int(key)] = value(v)
        except (TypeError, ValueError):
            continue
    return out


def _pushed(raw) -> Pushed | None:
    if not raw:
        return None
    try:
        return Pushed(int(raw["id"]), str(raw["text"]), raw.get("purpose"))
    except (KeyError, TypeError, ValueError):
        return None


def room_state(workshop: Workshop) -> RoomState:
    raw = workshop.room or {}
    step = raw.get("step") or {}
    prompt = raw.get("prompt") or {}
    timer = raw.get("timer") or {}
    queues = {k: q for k, q in _int_keys(raw.get("queues"), Queue.from_dict).items()
              if q is not None and k != ALL}
    try:
        step_all = int(step.get("all", 0))
    except (TypeError, ValueError):
        step_all = 0
    return RoomState(
        meeting_id=raw.get("meeting"),
        step_all=step_all,
        step_groups={k: int(v) for k, v in _int_keys(step.get("groups")).items() if k != ALL},
        modes={k: v for k, v in (raw.get("modes") or {}).items() if v in MODES},
        timer=Countdown.from_dict(timer),
        timer_label=str(timer.get("label") or ""),
        prompt_id=int(prompt.get("id") or 0),
        prompt_group=prompt.get("group"),
        prompt_open=bool(prompt.get("open")),
        questions=_int_keys(raw.get("questions"), _pushed),
        question_first=_int_keys(raw.get("question_first"), bool),
        entry_locked=bool(raw.get("entry_locked", False)),
        rules=bool(raw.get("rules", False)),
        theme="light" if raw.get("theme") == "light" else "dark",
        sound=bool(raw.get("sound", False)),
        queues=queues,
    )
