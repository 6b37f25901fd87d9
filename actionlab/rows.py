"""Plain rows: what a store reached through :mod:`actionlab.remotestore` returns.

The models (:mod:`actionlab.db.models`) are data only, so a row read over the wire is an
object with the same attributes and a class named after its model, without SQLAlchemy.
"""

from __future__ import annotations

from functools import cache


class Row:
    """A row of one model, detached from any database session, like the store's own."""

    model = "Row"

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"<{self.model} #{self.__dict__.get('id')}>"


@cache
def row_class(model: str) -> type[Row]:
    """The row class of ``model`` (one per name, so rows of a model share their type)."""
    return type(model, (Row,), {"model": model, "__slots__": ()})


def model_name(row: object) -> str:
    """The model a row belongs to, for a mapped object and a plain row alike."""
    return row.model if isinstance(row, Row) else type(row).__name__
