"""The room timer and the readiness prompt ("ready" / "need 2 more minutes")."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..clock import utcnow
from ..errors import InvalidInput
from ..i18n import N_
from ..storetypes import RoomEdit
from .access import member_actor
from .room import RoomWriter
from .roomstate import Countdown, room_state

if TYPE_CHECKING:
    from ..db.models import Member, Workshop

READY, MORE = "ready", "more"
ANSWERS = (READY, MORE)
#: What "need more time" asks for, and what the facilitator's one-click extension adds.
MORE_SECONDS = 120
MAX_SECONDS = 4 * 3600


@dataclass
class ReadyCount:
    """Answers to one readiness prompt, per group."""

    prompt: int
    by_group: dict[int, Counter] = field(default_factory=dict)

    def total(self, answer: str) -> int:
        return sum(c[answer] for c in self.by_group.values())


def _seconds(value) -> int:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(N_("Give the time in whole minutes.")) from None
    if not 0 < seconds <= MAX_SECONDS:
        raise InvalidInput(N_("A timer runs from 1 minute to 4 hours."))
    return seconds


class TimerService(RoomWriter):
    def _timer(self, workshop: Workshop, action: str, change) -> Workshop:
        """Apply ``change(countdown, now) -> countdown`` to the room timer in one transaction."""
        def mutate(room: dict) -> RoomEdit:
            raw = room.get("timer") or {}
            now = utcnow()
            timer = change(Countdown.from_dict(raw), now)
            room["timer"] = {**timer.to_dict(), "label": raw.get("label", "")}
            return RoomEdit({"seconds": timer.seconds, "remaining": round(timer.remaining(now)),
                             "running": timer.running})

        return self._write(workshop, action, mutate)

    def start(self, workshop: Workshop, seconds: int | None = None) -> Workshop:
        """Start ``seconds`` afresh, or run the set or paused time when None."""
        if seconds is not None:
            seconds = _seconds(seconds)
            return self._timer(workshop, "timer.start", lambda t, now: t.start(now, seconds))

        def resume(t: Countdown, now) -> Countdown:
            if t.remaining(now) <= 0 and not t.running:
                raise InvalidInput(N_("The time is up: extend it or set a new time."))
            return t.start(now)

        return self._timer(workshop, "timer.start", resume)

    def pause(self, workshop: Workshop) -> Workshop:
        return self._timer(workshop, "timer.pause", lambda t, now: t.pause(now))

    def toggle(self, workshop: Workshop) -> Workshop:
        """Start or pause: the facilitator's space bar."""
        if room_state(self.fresh(workshop)).timer.running:
            return self.pause(workshop)
        return self.start(workshop)

    def extend(self, workshop: Workshop, seconds: int = 60) -> Workshop:
        seconds = _seconds(seconds)
        return self._timer(workshop, "timer.extend", lambda t, now: t.extend(now, seconds))

    def reset(self, workshop: Workshop, seconds: int) -> Workshop:
        """Set a new time without starting it."""
        seconds = _seconds(seconds)
        return self._timer(workshop, "timer.reset",
                           lambda t, now: Countdown(seconds, False, None, float(seconds)))

    # -- readiness -----------------------------------------------------------------------
    def ask_ready(self, workshop: Workshop, group_id: int | None = None) -> Workshop:
        """Ask everyone (or one group): ready, or do you need two more minutes?"""
        def mutate(room: dict) -> RoomEdit:
            prompt_id = int((room.get("prompt") or {}).get("id") or 0) + 1
            room["prompt"] = {"id": prompt_id, "group": group_id, "open": True}
            return RoomEdit({"prompt": prompt_id})

        return self._write(workshop, "prompt.ask", mutate, group_id=group_id)

    def close_prompt(self, workshop: Workshop) -> Workshop:
        def mutate(room: dict) -> RoomEdit:
            room["prompt"] = {**(room.get("prompt") or {}), "open": False}
            return RoomEdit({"prompt": (room.get("prompt") or {}).get("id")})

        return self._write(workshop, "prompt.close", mutate)

    def answer(self, workshop: Workshop, member: Member, answer: str) -> None:
        if answer not in ANSWERS:
            raise InvalidInput(N_("Answer ready or need more time."))
        prompt = room_state(self.fresh(workshop)).prompt_for(member.group_id)
        if prompt is None:
            raise InvalidInput(N_("The facilitator has closed the question."))
        self.store.set_prompt_answer(member_actor(member.id), workshop_id=workshop.id,
                                     group_id=member.group_id, prompt=prompt,
                                     member_id=member.id, answer=answer)

    def my_answer(self, workshop: Workshop, member: Member, prompt: int) -> str | None:
        for row in self.store.find_prompt_answers(workshop.id, prompt):
            if row.member_id == member.id:
                return row.answer
        return None

    def counts(self, workshop: Workshop, prompt: int | None = None) -> ReadyCount:
        prompt = prompt if prompt is not None else room_state(workshop).prompt_id
        groups = {m.id: m.group_id for m in self.store.find_members(workshop.id)}
        count = ReadyCount(prompt)
        for row in self.store.find_prompt_answers(workshop.id, prompt):
            group = groups.get(row.member_id)
            if group is not None:
                count.by_group.setdefault(group, Counter())[row.answer] += 1
        return count
