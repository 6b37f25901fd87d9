"""What a typed text may hold on its way to the store.

Whatever a person types is stored as typed, control characters, right-to-left marks,
zero-width characters and markup included: it is escaped wherever it is shown and exported.
Two things no database text can hold are changed, deliberately: a NUL character is dropped
(PostgreSQL refuses it in text) and half of a surrogate pair, which cannot be written as
UTF-8, becomes U+FFFD (a pair that arrives as two halves becomes its one character). Such
halves can arrive from a browser or a backup file, whose JSON may carry ``"\\ud800"``.

Each field then tidies the text its own way: a one-line text (a name, a title) has every
run of white space made one space (:func:`line_text`); a text that may run over several lines
loses the white space at its ends (:func:`block_text`).
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str | None) -> str:
    """``text`` without NUL characters and with lone surrogates as U+FFFD."""
    text = "" if text is None else str(text)
    if not _UNSTORABLE.search(text):
        return text
    return whole_characters(text.replace("\x00", ""))


def whole_characters(text: str) -> str:
    """``text`` with each half of a surrogate pair that stands alone as U+FFFD (a pair that
    arrives as two halves becomes its one character); nothing else changes."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def line_text(text: str | None) -> str:
    """A one-line text: storable, every run of white space one space, none at the ends."""
    return " ".join(storable(text).split())


def block_text(text: str | None) -> str:
    """A text that may hold several lines: storable, no white space at the ends."""
    return storable(text).strip()
