"""Session-record exporters, one per file format, looked up by name.

``get_exporter("md").export(record, folder)`` writes ``<code>-record.md``. A new format is a
subclass of :class:`Exporter` added to :data:`EXPORTERS` (or passed to :func:`register`).

Markdown, HTML, Word and PDF render a :class:`~actionlab.record.WorkshopRecord`; the
spreadsheet (``xlsx``: one sheet per table) and the backup (``json``: everything, for a
restore) are made from the store's tables by the record service (:data:`DATA_FORMATS`).
"""

from __future__ import annotations

from ..errors import InvalidInput
from .base import Exporter
from .docx import DocxExporter
from .html import HtmlExporter
from .markdown import MarkdownExporter
from .pdf import PdfExporter

__all__ = [
    "DATA_FORMATS",
    "EXPORTERS",
    "FORMAT_LABELS",
    "DocxExporter",
    "Exporter",
    "PdfExporter",
    "format_names",
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
    "docx": DocxExporter,
    "pdf": PdfExporter,
}

#: Formats made from the store's tables rather than from a record: name → (suffix, media type).
DATA_FORMATS: dict[str, tuple[str, str]] = {
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "json": (".json", "application/json"),
}

#: How each format is named in menus.
FORMAT_LABELS = {"md": "Markdown", "html": "HTML", "docx": "Word (.docx)", "pdf": "PDF",
                 "xlsx": "Excel (.xlsx)", "json": "JSON"}


def register(cls: type[Exporter]) -> type[Exporter]:
    """Add an exporter class under its ``name`` (usable as a class decorator)."""
    EXPORTERS[cls.name] = cls
    return cls


def exporter_names() -> list[str]:
    """The known format names, in registration order."""
    return list(EXPORTERS)


def format_names() -> list[str]:
    """Every export format: the record formats, then the data formats."""
    return [*EXPORTERS, *DATA_FORMATS]


def get_exporter(name: str, *, templates=None) -> Exporter:
    """A new exporter for format ``name`` (``"md"``, ``"html"`` …; case and a dot ignored);
    ``templates``: a folder of template overrides."""
    key = str(name).strip().lower().lstrip(".")
    try:
        cls = EXPORTERS[key]
    except KeyError:
        raise InvalidInput("Unknown export format {name}", name=name) from None
    return cls(templates=templates)
