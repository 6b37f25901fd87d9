"""What every record exporter shares: the interface, the atomic file write, the Jinja setup."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..groupname import own_name
from ..i18n import Translator, normalize_lang, translator
from ..paths import EXPORT_TEMPLATES_DIR
from ..record import Scope, WorkshopRecord

#: Format of every date shown in a record.
DATETIME_FORMAT = "%Y-%m-%d %H:%M"

#: Each workshop language under its own name, as shown in the record.
LANGUAGE_NAMES: dict[str, str] = {"zh": "简体中文", "en": "English"}

#: Value of ``<html lang>`` for each workshop language.
HTML_LANGS: dict[str, str] = {"zh": "zh-CN", "en": "en"}

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")


def record_filename(code: str, scope: Scope | None, suffix: str, stem: str = "record") -> str:
    """A download's file name, made of the workshop's code and what the file covers."""
    safe = _UNSAFE_FILENAME.sub("_", code).strip("_") or "workshop"
    scope = scope or Scope()
    if scope.kind == "group" and scope.group is not None:
        stem = f"group-{scope.group}"
    elif scope.kind == "meeting" and scope.meeting is not None:
        stem = f"meeting-{scope.meeting}-minutes"
    elif scope.kind == "case":
        stem = "case" if scope.group is None else f"case-group-{scope.group}"
    return f"{safe}-{stem}{suffix}"


def format_datetime(value: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM``, as stored (no time-zone conversion); empty for ``None``."""
    if value is None:
        return ""
    return value.strftime(DATETIME_FORMAT)


def iso_datetime(value: datetime | None) -> str:
    """Machine-readable date (for ``<time datetime>``), to the minute like the shown one."""
    if value is None:
        return ""
    return value.replace(second=0, microsecond=0).isoformat(timespec="minutes")


def make_environment(
    _: Translator,
    *,
    autoescape: bool = False,
    filters: dict[str, Callable[..., Any]] | None = None,
    templates: str | os.PathLike[str] | None = None,
) -> Environment:
    """A Jinja environment over ``templates/export`` for one record language.

    Undefined names fail loudly, block tags leave no blank lines, the translator is the
    global ``_`` (``{{ _("Members") }}``), the ``datetime`` / ``isodatetime`` filters
    format dates, and ``{{ group.name|own_name(group.number) }}`` is a group's name without
    its number said again. ``autoescape`` is for HTML-like formats; ``filters`` adds format-specific
    ones (``md_escape`` …). A template in the ``templates`` folder (an organisation's
    override, see docs/records.md) is used before the workbook's own of the same name.
    """
    folders = [str(templates)] if templates else []
    env = Environment(
        loader=FileSystemLoader([*folders, str(EXPORT_TEMPLATES_DIR)]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=autoescape,
    )
    env.filters["datetime"] = format_datetime
    env.filters["isodatetime"] = iso_datetime
    env.filters["png_uri"] = data_uri
    env.filters["own_name"] = lambda name, number: own_name(number, name)
    if filters:
        env.filters.update(filters)
    env.globals["_"] = _
    return env


def kind_title(record: WorkshopRecord, _: Translator) -> str:
    """What the document is, in words (the kicker above the title)."""
    scope = record.scope
    if scope.kind == "meeting" and record.minutes is not None:
        return _("Minutes of meeting {number}", number=record.minutes.number)
    if scope.kind == "group":
        return _("Record of group {number}", number=scope.group)
    if scope.kind == "case":
        return _("Case write-up")
    return _("Action Learning workshop record")


def data_uri(data: bytes | None, media_type: str = "image/png") -> str:
    """A picture inside the page itself (no file, no network)."""
    if not data:
        return ""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def template_context(record: WorkshopRecord) -> dict[str, Any]:
    """Names every record template may use besides ``record`` itself."""
    lang = normalize_lang(record.lang)
    return {
        "kind": kind_title(record, translator(lang)),
        "logo_uri": data_uri(record.brand.logo, record.brand.logo_type),
        "record": record,
        "lang": lang,
        "language_name": LANGUAGE_NAMES.get(lang, lang),
        "html_lang": HTML_LANGS.get(lang, lang),
        "colon": "：" if lang == "zh" else ": ",
    }


class Exporter(ABC):
    """Turns a :class:`~actionlab.record.WorkshopRecord` into one file format.

    Subclasses set ``name`` (the format's key in the registry, e.g. ``"md"``), ``suffix``
    (``".md"``) and ``media_type`` and implement :meth:`render`. Text output is written as
    UTF-8.
    """

    name: ClassVar[str]
    suffix: ClassVar[str]
    media_type: ClassVar[str]

    def __init__(self, templates: str | os.PathLike[str] | None = None):
        #: A folder whose templates override the workbook's own (template formats only).
        self.templates = templates

    @abstractmethod
    def render(self, record: WorkshopRecord) -> str | bytes:
        """The whole file's content."""

    def translator(self, record: WorkshopRecord) -> Translator:
        return translator(record.lang)

    def filename(self, record: WorkshopRecord) -> str:
        """``<code>-record<suffix>`` (or ``-group-2``, ``-meeting-3-minutes``, ``-case`` for a
        scoped record); a join code is made safe for a file name first."""
        return record_filename(record.code, record.scope, self.suffix)

    def export(self, record: WorkshopRecord, path: str | os.PathLike[str]) -> Path:
        """Write the record to ``path`` (or into it, when it is a directory); return the file.

        The content goes to a temporary file in the same directory which then replaces the
        target in one step, so a reader never sees a half-written record and a failed export
        leaves any earlier file untouched. Missing parent directories are created.
        """
        target = Path(path)
        if target.is_dir():
            target = target / self.filename(record)
        content = self.render(record)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
        return target


def atomic_write(target: Path, data: bytes) -> None:
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (not on Windows)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
