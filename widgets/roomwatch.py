"""The workshop and its room state, shared by every view of a page.

Re-read once per batch of changes that touches the room or the workshop, however many views
the page shows; views compare what they showed with :attr:`RoomWatch.state`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch
from actionlab.services.room import Step
from actionlab.services.roomstate import RoomState, room_state

if TYPE_CHECKING:
    from actionlab.db.models import Workshop


class RoomWatch:
    def __init__(self, workbook: Workbook, workshop: Workshop):
        self.workbook = workbook
        self.workshop = workshop
        self.state: RoomState = room_state(workshop)
        self._revision = -1
        self.changed = False
        self._steps: list[Step] | None = None

    def on_changes(self, batch: ChangeBatch) -> bool:
        """Reload when the batch touches the room or the workshop; True when it did."""
        last = batch.changes[-1].revision if batch.changes else self._revision
        if last != self._revision:
            self.changed = batch.touches("room") or batch.touches("workshop")
            if self.changed:
                self.reload()
        self._revision = last
        return self.changed

    def reload(self) -> None:
        self.workshop = self.workbook.store.find_workshop_by_id(self.workshop.id)
        self.state = room_state(self.workshop)
        self._steps = None

    @property
    def steps(self) -> list[Step]:
        """The agenda's steps, read once per reload for every view of the page."""
        if self._steps is None:
            self._steps = self.workbook.room.steps(self.workshop)
        return self._steps
