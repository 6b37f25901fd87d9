"""The workbook's own exceptions. Services and the store raise only these."""

from __future__ import annotations


class ActionlabError(Exception):
    """Base of every error the workbook raises on purpose."""


class StoreError(ActionlabError):
    """The store could not do what was asked."""


class NotFound(StoreError):
    """The thing asked for does not exist."""


class Conflict(StoreError):
    """The change clashes with what is stored (a duplicate, a stale edit)."""


class RoomChanged(Conflict):
    """The room state changed between reading it and writing it back: read it again."""


class Busy(StoreError):
    """The database stayed locked by other writers for longer than the wait allows."""


class SchemaOutOfDate(StoreError):
    """The database schema is behind the code: run ``actionlab db upgrade``."""


class InvalidInput(ActionlabError):
    """A person's input breaks a rule. ``message_id`` is a catalog id, ``params`` fill it."""

    def __init__(self, message_id: str, **params):
        super().__init__(message_id.format(**params) if params else message_id)
        self.message_id = message_id
        self.params = params

    def translated(self, _) -> str:
        return _(self.message_id, **self.params)


class AccessDenied(ActionlabError):
    """A wrong facilitator key, an unknown join code or participant link."""


class LibraryError(ActionlabError):
    """A method library file in data/ is missing or malformed."""
