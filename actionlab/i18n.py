"""Translations from gettext catalogs (Babel), zh_CN and en, chosen per workshop.

Message ids are English source strings. Every ``*.po`` file under
``locale/<locale>/LC_MESSAGES/`` is merged into one catalog per language, so each part of the
workbook may keep its own file. Code gets ``_ = translator(lang)`` and calls ``_`` with the
English text (``N_`` marks a text translated later); tests find those calls and fail when
either catalog lacks a translation.
"""

from __future__ import annotations

from functools import cache

from babel.messages.pofile import read_po

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
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id and isinstance(message.id, str) and message.string:
                    merged[message.id] = message.string
    return merged


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
