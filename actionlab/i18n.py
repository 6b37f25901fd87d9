"""Translations from gettext catalogs, zh_CN and en, chosen per workshop.

Message ids are English source strings. Every ``*.po`` file under
``locale/<locale>/LC_MESSAGES/`` is merged into one catalog per language, so each part of the
workbook may keep its own file. Code gets ``_ = translator(lang)`` and calls ``_`` with the
English text (``N_`` marks a text translated later); tests find those calls and fail when
either catalog lacks a translation.

The files are read here rather than with Babel's reader: every page's kernel reads them, and
Babel's loads its CLDR locale data for the files' ``Language`` header (about 3 MB a kernel).
A test checks both readers agree on every file.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from .paths import LOCALE_DIR

#: Workshop language → catalog locale.
LANGS: dict[str, str] = {"zh": "zh_CN", "en": "en"}
DEFAULT_LANG = "zh"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def normalize_lang(lang: str | None) -> str:
    """Map ``zh``, ``zh_CN``, ``zh-cn``, ``en``, ``en_US`` … to a workshop language."""
    if not lang:
        return DEFAULT_LANG
    head = lang.replace("-", "_").split("_")[0].lower()
    return head if head in LANGS else DEFAULT_LANG


@cache
def catalog(lang: str) -> dict[str, str]:
    """All translations of one language: message id → translated string."""
    folder = LOCALE_DIR / LANGS[normalize_lang(lang)] / "LC_MESSAGES"
    merged: dict[str, str] = {}
    for po in sorted(folder.glob("*.po")):
        merged.update(read_po_messages(po))
    return merged


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_ESCAPE = re.compile(r'\\([\\abfnrtv"])')


def _unquote(text: str) -> str:
    """The value of one quoted PO string (``"…"``), its C escapes resolved."""
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def read_po_messages(path: Path) -> dict[str, str]:
    """Message id → translation of one PO file (UTF-8): the entries with a single id and a
    non-empty translation, fuzzy ones included; plural, obsolete (``#~``) entries and the
    header are left out. A ``msgctxt`` does not separate entries (a later one wins)."""
    found: dict[str, str] = {}
    entry: dict[str, list[str]] = {}
    part: list[str] | None = None

    def finish() -> None:
        msgid, msgstr = "".join(entry.get("msgid", ())), "".join(entry.get("msgstr", ()))
        if msgid and msgstr and "msgid_plural" not in entry:
            found[msgid] = msgstr
        entry.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            finish()
            part = None
            continue
        if line.startswith('"'):
            if part is not None:
                part.append(_unquote(line))
            continue
        keyword, _sep, value = line.partition(" ")
        if keyword in ("msgid", "msgctxt"):
            finish()
        part = entry.setdefault(keyword, [])
        part.append(_unquote(value.strip()))
    finish()
    return found


class Translator:
    """Callable translator for one language; ``{name}`` fields are filled from keywords."""

    def __init__(self, lang: str):
        self.lang = normalize_lang(lang)
        self._messages = catalog(self.lang)

    def __call__(self, message: str, **params) -> str:
        text = self._messages.get(message, message)
        return text.format(**params) if params else text


def translator(lang: str | None) -> Translator:
    return Translator(normalize_lang(lang))
