"""Equal-time round-robin: every member of a group gets the same time to speak, in turn.

The round lives in the room state (order, who is speaking, their countdown); every turn that
ends — spoken, skipped with a reason, or cut off when the round ends — becomes a
:class:`SpeakingTurn` row in the same transaction, so nobody is passed over without a record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..clock import utcnow
from ..errors import InvalidInput, LibraryError
from ..i18n import N_
from ..storetypes import NewRow, RoomEdit
from .canvas import Author
from .room import RoomWriter
from .roomstate import Countdown, Queue, room_state

if TYPE_CHECKING:
    from ..db.models import Workshop

SKIP_REASONS = {
    "passed": N_("passed"),
    "absent": N_("not in the room"),
    "not_started": N_("moved on before speaking"),
    "round_ended": N_("round ended"),
}
MIN_TURN, MAX_TURN = 15, 30 * 60


@dataclass
class Airtime:
    """One member's speaking record: seconds and turns per meeting, and over time."""

    member_id: int | None
    name: str
    spoken: int = 0
    turns: int = 0
    skipped: int = 0
    by_meeting: dict[int | None, int] = field(default_factory=dict)


class SpeakingService(RoomWriter):
    def may_run(self, author: Author, group_id: int) -> bool:
        """The facilitator, and in their own group the leader or learning officer."""
        if author.is_facilitator:
            return True
        member = author.now(self.store).member
        if member.group_id != group_id:
            return False
        try:
            return "run_round" in self.library.item("roles", member.role).may
        except LibraryError:
            return False

    def _check(self, author: Author, group_id: int) -> None:
        if not self.may_run(author, group_id):
            raise InvalidInput(N_("Only the facilitator or the group leader runs the speaking round."))

    def _queue_write(self, author: Author, workshop: Workshop, group_id: int, action: str,
                     change) -> Workshop:
        """``change(queue, now, meeting_id) -> (queue | None, turns, payload)`` in one
        transaction; the turns are stored with it."""
        self._check(author, group_id)

        def mutate(room: dict) -> RoomEdit:
            queues = room.setdefault("queues", {})
            queue = Queue.from_dict(queues.get(str(group_id)))
            queue, turns, payload = change(queue, utcnow(), room.get("meeting"))
            if queue is None:
                queues.pop(str(group_id), None)
            else:
                queues[str(group_id)] = queue.to_dict()
            return RoomEdit(payload, turns)

        return self._write(workshop, action, mutate, group_id=group_id, actor=author.actor)

    def setup(self, author: Author, workshop: Workshop, group_id: int, seconds: int = 120,
              *, order: list[int] | None = None, shuffle: bool = False) -> Workshop:
        """A new round for the group: its members in ``order`` (default: the roster order),
        each with ``seconds``. A round still running must be ended first."""
        try:
            seconds = int(seconds)
        except (TypeError, ValueError):
            seconds = 0
        if not MIN_TURN <= seconds <= MAX_TURN:
            raise InvalidInput(N_("A turn lasts from 15 seconds to 30 minutes."))
        members = [m for m in self.store.find_members(workshop.id) if m.group_id == group_id]
        ids = [m.id for m in members]
        order = [int(m) for m in order] if order is not None else ids
        if not order or set(order) - set(ids) or len(set(order)) != len(order):
            raise InvalidInput(N_("The round needs the group's members, each once."))
        if shuffle:
            random.shuffle(order)

        def change(queue, now, meeting_id):
            if queue is not None and not queue.done:
                raise InvalidInput(N_("A round is still going: end it first."))
            return Queue(tuple(order), 0, seconds), [], {"order": order, "seconds": seconds}

        return self._queue_write(author, workshop, group_id, "round.setup", change)

    def start_turn(self, author: Author, workshop: Workshop, group_id: int) -> Workshop:
        """Start (or resume) the current speaker's time."""
        def change(queue, now, meeting_id):
            queue = _running(queue)
            turn = queue.turn.start(now) if queue.turn.active else queue.turn.start(now, queue.seconds)
            return (Queue(queue.order, queue.index, queue.seconds, turn), [],
                    {"member_id": queue.current})

        return self._queue_write(author, workshop, group_id, "round.start", change)

    def pause_turn(self, author: Author, workshop: Workshop, group_id: int) -> Workshop:
        def change(queue, now, meeting_id):
            queue = _running(queue)
            return (Queue(queue.order, queue.index, queue.seconds, queue.turn.pause(now)), [],
                    {"member_id": queue.current})

        return self._queue_write(author, workshop, group_id, "round.pause", change)

    def next(self, author: Author, workshop: Workshop, group_id: int,
             reason: str | None = None) -> Workshop:
        """End the current turn and pass to the next member. A member who never started is
        recorded as skipped (with ``reason``, or "moved on before speaking")."""
        if reason is not None and reason not in SKIP_REASONS:
            raise InvalidInput(N_("Choose why this member does not speak."))
        names = self._names(workshop)

        def change(queue, now, meeting_id):
            queue = _running(queue)
            turn = self._turn(workshop, group_id, meeting_id, queue, now, names, reason)
            nxt = Queue(queue.order, queue.index + 1, queue.seconds, Countdown())
            return nxt, [turn], {"member_id": turn.member_id, "spoken": turn.spoken,
                                 "skipped": turn.skipped, "reason": turn.reason}

        return self._queue_write(author, workshop, group_id, "round.next", change)

    def end(self, author: Author, workshop: Workshop, group_id: int) -> Workshop:
        """End the round: the current speaker's time is recorded, everyone still waiting is
        recorded as skipped because the round ended."""
        names = self._names(workshop)

        def change(queue, now, meeting_id):
            if queue is None:
                raise InvalidInput(N_("There is no round to end."))
            turns = []
            for index in range(queue.index, len(queue.order)):
                current = Queue(queue.order, index, queue.seconds,
                                queue.turn if index == queue.index else Countdown())
                turns.append(self._turn(workshop, group_id, meeting_id, current, now, names,
                                        "round_ended"))
            return None, turns, {"recorded": len(turns)}

        return self._queue_write(author, workshop, group_id, "round.end", change)

    def _names(self, workshop: Workshop) -> dict[int, str]:
        return {m.id: m.name for m in self.store.find_members(workshop.id)}

    @staticmethod
    def _turn(workshop: Workshop, group_id: int, meeting_id, queue: Queue, now, names,
              reason: str | None) -> NewRow:
        turn = queue.turn
        spoken = max(0, round(turn.elapsed(now))) if turn.active else 0
        skipped = not turn.active
        return NewRow("SpeakingTurn", dict(
            workshop_id=workshop.id, meeting_id=meeting_id, group_id=group_id,
            member_id=queue.current, member_name=names.get(queue.current, "?"),
            allotted=turn.seconds if turn.active else queue.seconds, spoken=spoken,
            skipped=skipped, reason=(reason or "not_started") if skipped else None,
            started_at=turn.started_at, ended_at=now))

    # -- reading -------------------------------------------------------------------------
    def queue(self, workshop: Workshop, group_id: int) -> Queue | None:
        return room_state(workshop).queue(group_id)

    def airtime(self, workshop: Workshop, group_id: int | None = None,
                meeting_id: int | None = None) -> list[Airtime]:
        """Speaking time per member (fairness), in the order of the roster; members who
        never had a turn show with zero."""
        members = [m for m in self.store.find_members(workshop.id)
                   if group_id is None or m.group_id == group_id]
        rows = {m.id: Airtime(m.id, m.name) for m in members}
        for turn in self.store.find_turns(workshop.id, meeting_id=meeting_id, group_id=group_id):
            row = rows.get(turn.member_id)
            if row is None:
                row = rows.setdefault(turn.member_id, Airtime(turn.member_id, turn.member_name))
            row.spoken += turn.spoken
            row.turns += 0 if turn.skipped else 1
            row.skipped += 1 if turn.skipped else 0
            row.by_meeting[turn.meeting_id] = row.by_meeting.get(turn.meeting_id, 0) + turn.spoken
        return list(rows.values())


def _running(queue: Queue | None) -> Queue:
    if queue is None or queue.done:
        raise InvalidInput(N_("Set up a speaking round first."))
    return queue
