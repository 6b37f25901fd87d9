"""The live feed: what changed in a workshop since the revision a page last saw."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..db.models import Change
    from ..db.signal import ChangeSignal
    from ..store import Store


@dataclass
class ChangeBatch:
    changes: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def entities(self) -> set[str]:
        return {c.entity for c in self.changes}

    @property
    def group_ids(self) -> set[int | None]:
        return {c.group_id for c in self.changes}

    def touches(self, entity: str, group_id: int | None = None) -> bool:
        return any(
            c.entity == entity and (group_id is None or c.group_id in (group_id, None))
            for c in self.changes
        )


class ChangeFeed:
    """Pull-based feed over the change log; ``poll()`` is one cheap indexed query."""

    def __init__(self, store: Store, workshop_id: int, after: int | None = None):
        self.store = store
        self.workshop_id = workshop_id
        self.revision = store.find_latest_revision() if after is None else after
        #: A participant's page sets its group: other groups' changes need not wake it (it
        #: still gets every change of the workshop when it asks).
        self.wake_group: int | None = None

    def signal(self) -> ChangeSignal:
        """A new signal that fires when this workshop may have changes to poll for (one
        per live loop: on PostgreSQL it holds a connection of its own)."""
        return self.store.change_signal(self.workshop_id, self.wake_group)

    def poll(self, limit: int = 500) -> ChangeBatch:
        changes = self.store.find_changes(after=self.revision, workshop_id=self.workshop_id,
                                          limit=limit)
        if changes:
            self.revision = changes[-1].revision
        return ChangeBatch(changes)
