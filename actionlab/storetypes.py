"""What services hand the store besides plain values, importable without the database layer.

A participant's page kernel never imports SQLAlchemy (:mod:`actionlab.remotestore`), so the
services it runs describe new rows as :class:`NewRow` (a model's name and its fields) and the
store makes the mapped objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NewRow:
    """A row to add: the model's class name (``"SpeakingTurn"``) and its column values."""

    model: str
    fields: dict

    def __getattr__(self, name: str):
        try:
            return self.__dict__["fields"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class RoomEdit:
    """What a room change adds besides the new state: details for the change log and rows
    written in the same transaction (a speaking turn, a question asked)."""

    payload: dict = field(default_factory=dict)
    rows: list[NewRow] = field(default_factory=list)
