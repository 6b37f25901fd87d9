"""Running the room: the agenda's steps, what each canvas allows, rules, entry and theme.

The facilitator moves all groups (or one group) from step to step; every page reads the room
state after a ``room`` change and follows. Writes go through :meth:`Store.update_room`, one
change row each, so the change log holds every move the facilitator made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..i18n import N_
from ..library import Library, Text
from ..storetypes import RoomEdit
from .access import FACILITATOR
from .roomstate import ALL, HIDDEN, LOCKED, MODES, OPEN, PRIVATE, Countdown, RoomState, room_state

if TYPE_CHECKING:
    from ..db.models import Workshop
    from ..store import Store

#: Minutes per step when neither the meeting nor the canvas says otherwise.
CANVAS_MINUTES = 20
RULES_MINUTES = 5
REVIEW_MINUTES = 10

STEP_KINDS = {
    "rules": N_("Meeting rules"),
    "review": N_("Review of the meeting"),
    "progress": N_("Progress reports"),
    "tracking": N_("Open actions from the last meeting"),
    "decision": N_("Assessment and decision"),
}


@dataclass(frozen=True)
class Step:
    """One item of a meeting's agenda: a canvas to work on, the rules, a review, a talk."""

    key: str
    kind: str  # canvas | rules | review | talk | progress | tracking | decision … (STEP_KINDS)
    minutes: int
    canvas: str | None = None
    title: Text | None = None

    def to_dict(self) -> dict:
        out = {"key": self.key, "kind": self.kind, "minutes": self.minutes}
        if self.canvas:
            out["canvas"] = self.canvas
        if self.title is not None:
            out["title"] = {"zh": self.title.zh, "en": self.title.en}
        return out

    @classmethod
    def from_dict(cls, raw: dict) -> Step:
        title = raw.get("title")
        return cls(key=str(raw.get("key") or raw.get("canvas") or raw.get("kind")),
                   kind=str(raw.get("kind") or ("canvas" if raw.get("canvas") else "talk")),
                   minutes=int(raw.get("minutes") or CANVAS_MINUTES),
                   canvas=raw.get("canvas"),
                   title=Text(str(title["zh"]), str(title["en"])) if isinstance(title, dict) else None)


def default_agenda(workshop: Workshop) -> list[Step]:
    """The rules, then every canvas of the workshop in order, then the review."""
    return ([Step("rules", "rules", RULES_MINUTES)]
            + [Step(key, "canvas", CANVAS_MINUTES, canvas=key) for key in workshop.canvases]
            + [Step("review", "review", REVIEW_MINUTES)])


def template_agenda(library: Library, workshop: Workshop, kind: str) -> list[Step]:
    """The agenda of a meeting template (data/meetings/) for this workshop: a ``canvases`` step
    stands for each of the workshop's canvases; a canvas the workshop does not use is left out."""
    steps: list[Step] = []
    for raw in library.meeting_type(kind).agenda:
        if raw.kind == "canvases":
            steps += [Step(key, "canvas", raw.minutes, canvas=key) for key in workshop.canvases]
        elif raw.kind == "canvas":
            if raw.canvas in workshop.canvases:
                steps.append(Step(raw.key, "canvas", raw.minutes, canvas=raw.canvas, title=raw.title))
        else:
            steps.append(Step(raw.key, raw.kind, raw.minutes, title=raw.title))
    return steps


class RoomWriter:
    """What every room service shares: reading the state and changing it in one transaction."""

    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    def fresh(self, workshop: Workshop | int) -> Workshop:
        workshop_id = workshop if isinstance(workshop, int) else workshop.id
        return self.store.find_workshop_by_id(workshop_id)

    def state(self, workshop: Workshop) -> RoomState:
        return room_state(workshop)

    def _write(self, workshop: Workshop, action: str, mutate, *, group_id: int | None = None,
               actor: str = FACILITATOR) -> Workshop:
        return self.store.update_room(actor, workshop.id, action, mutate, group_id=group_id)


class RoomService(RoomWriter):
    # -- the agenda ----------------------------------------------------------------------
    def steps(self, workshop: Workshop) -> list[Step]:
        """The steps of the meeting in the room (or the default agenda when none is set)."""
        meeting_id = room_state(workshop).meeting_id
        if meeting_id:
            for meeting in self.store.find_meetings(workshop.id):
                if meeting.id == meeting_id and meeting.agenda:
                    return [Step.from_dict(raw) for raw in meeting.agenda]
        return default_agenda(workshop)

    def step_title(self, step: Step, lang: str, _) -> str:
        if step.title is not None:
            return step.title(lang)
        if step.canvas:
            try:
                return self.library.canvas(step.canvas).title(lang)
            except Exception:  # noqa: BLE001 - a canvas removed from the library
                return step.canvas
        return _(STEP_KINDS.get(step.kind, step.key))

    def current_step(self, workshop: Workshop, group_id: int | None = None,
                     steps: list[Step] | None = None) -> tuple[int, Step | None]:
        steps = steps if steps is not None else self.steps(workshop)
        index = room_state(workshop).step_of(group_id)
        index = max(0, min(index, len(steps) - 1)) if steps else 0
        return index, (steps[index] if steps else None)

    def go(self, workshop: Workshop, index: int, group_id: int | None = None) -> Workshop:
        """Move all groups (``group_id`` None) or one group to step ``index``. Moving all
        groups also sets the room timer to the step's time-box (not started)."""
        steps = self.steps(workshop)
        if not steps:
            raise InvalidInput(N_("This meeting has no steps."))
        try:
            index = int(index)
        except (TypeError, ValueError):
            raise InvalidInput(N_("There is no such step.")) from None
        if not 0 <= index < len(steps):
            raise InvalidInput(N_("There is no such step."))
        step = steps[index]

        def mutate(room: dict) -> RoomEdit:
            node = room.setdefault("step", {})
            if group_id is None:
                node["all"] = index
                node["groups"] = {}
                timer = Countdown(step.minutes * 60, False, None, float(step.minutes * 60))
                room["timer"] = {**timer.to_dict(), "label": step.key}
                room["prompt"] = {**(room.get("prompt") or {}), "open": False}
                room["rules"] = step.kind == "rules"  # up at the rules step, down past it
            else:
                node.setdefault("groups", {})[str(group_id)] = index
            return RoomEdit({"index": index, "step": step.key, "canvas": step.canvas,
                             "scope": "group" if group_id is not None else ALL})

        return self._write(workshop, "room.step", mutate, group_id=group_id)

    def move(self, workshop: Workshop, delta: int, group_id: int | None = None) -> Workshop:
        """The next (``delta`` 1) or previous (-1) step; stays put at either end."""
        workshop = self.fresh(workshop)
        steps = self.steps(workshop)
        index = room_state(workshop).step_of(group_id) + int(delta)
        return self.go(workshop, max(0, min(index, len(steps) - 1)), group_id)

    # -- what a canvas allows ------------------------------------------------------------
    def set_mode(self, workshop: Workshop, canvas: str, mode: str) -> Workshop:
        if mode not in MODES:
            raise InvalidInput(N_("Choose open, locked, hidden or private writing."))
        if canvas not in workshop.canvases:
            raise InvalidInput(N_("This canvas is not part of the workshop."))

        def mutate(room: dict) -> RoomEdit:
            before = (room.get("modes") or {}).get(canvas, OPEN)
            room.setdefault("modes", {})[canvas] = mode
            return RoomEdit({"canvas": canvas, "mode": mode, "before": before})

        return self._write(workshop, "room.mode", mutate)

    def reveal(self, workshop: Workshop, canvas: str) -> Workshop:
        """End private writing on ``canvas``: everyone's cards show to everyone."""
        if room_state(self.fresh(workshop)).mode(canvas) != PRIVATE:
            raise InvalidInput(N_("Nothing is being written privately on this canvas."))

        def mutate(room: dict) -> RoomEdit:
            room.setdefault("modes", {})[canvas] = OPEN
            return RoomEdit({"canvas": canvas})

        return self._write(workshop, "room.reveal", mutate)

    def reveal_current(self, workshop: Workshop) -> Workshop:
        """Reveal the private canvas of the room's current step (the reveal shortcut)."""
        workshop = self.fresh(workshop)
        _index, step = self.current_step(workshop)
        if step is None or not step.canvas:
            raise InvalidInput(N_("Nothing is being written privately on this canvas."))
        return self.reveal(workshop, step.canvas)

    # -- switches ------------------------------------------------------------------------
    def _flag(self, workshop: Workshop, key: str, value, action: str) -> Workshop:
        def mutate(room: dict) -> RoomEdit:
            room[key] = value
            return RoomEdit({key: value})

        return self._write(workshop, action, mutate)

    def show_rules(self, workshop: Workshop, shown: bool = True) -> Workshop:
        return self._flag(workshop, "rules", bool(shown), "room.rules")

    def lock_entry(self, workshop: Workshop, locked: bool = True) -> Workshop:
        return self._flag(workshop, "entry_locked", bool(locked), "room.entry")

    def set_theme(self, workshop: Workshop, theme: str) -> Workshop:
        if theme not in ("dark", "light"):
            raise InvalidInput(N_("Choose the dark or the light theme."))
        return self._flag(workshop, "theme", theme, "room.theme")

    def set_sound(self, workshop: Workshop, on: bool) -> Workshop:
        return self._flag(workshop, "sound", bool(on), "room.sound")


def write_problem(state: RoomState, *, facilitator: bool, group_id: int, canvas: str,
                  text: str | None = None) -> str | None:
    """Why a participant may not write this now (a catalog message), or None.

    Locked and hidden canvases take no writes; in question-first mode a new text must be a
    question. The facilitator is never stopped."""
    if facilitator:
        return None
    mode = state.mode(canvas)
    if mode == LOCKED:
        return N_("The facilitator has locked this step: it can be read, not changed.")
    if mode == HIDDEN:
        return N_("This step is not open yet.")
    if text is not None and state.asks_questions_first(group_id) and not is_question(text):
        return N_("Questions first: write your contribution as a question (ending with ? or ？) until the facilitator opens statements.")  # noqa: E501
    return None


QUESTION_ENDINGS = ("?", "？", "吗", "呢")


def is_question(text: str) -> bool:
    stripped = (text or "").strip().rstrip("。.!！ \u200b")
    return stripped.endswith(QUESTION_ENDINGS)
