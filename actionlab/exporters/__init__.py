"""Session-record exporters, one per file format, looked up by name.

``get_exporter("md").export(record, folder)`` writes ``<code>-record.md``. A new format is a
subclass of :class:`Exporter` added to :data:`EXPORTERS` (or passed to :func:`register`).
"""

from __future__ import annotations

from ..errors import InvalidInput
from .base import Exporter
from .html import HtmlExporter
from .markdown import MarkdownExporter

__all__ = [
    "EXPORTERS",
    "Exporter",
    "HtmlExporter",
    "MarkdownExporter",
    "exporter_names",
    "get_exporter",
    "register",
]

#: Format name → exporter class.
EXPORTERS: dict[str, type[Exporter]] = {
    "md": MarkdownExporter,
    "html": HtmlExporter,
}


def register(cls: type[Exporter]) -> type[Exporter]:
    """Add an exporter class under its ``name`` (usable as a class decorator)."""
    EXPORTERS[cls.name] = cls
    return cls


def exporter_names() -> list[str]:
    """The known format names, in registration order."""
    return list(EXPORTERS)


def get_exporter(name: str) -> Exporter:
    """A new exporter for format ``name`` (``"md"``, ``"html"`` …; case and a dot ignored)."""
    key = str(name).strip().lower().lstrip(".")
    try:
        cls = EXPORTERS[key]
    except KeyError:
        raise InvalidInput("Unknown export format {name}", name=name) from None
    return cls()
