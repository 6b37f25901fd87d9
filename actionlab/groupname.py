"""A group's name beside its number.

Groups are numbered, and their default names are their numbers ("第1组", "Group 1"); many
facilitators keep that and add a theme ("第1组 · 窗口等候"). Where a record already says
"Group 1", the name's own part is what it should add.
"""

from __future__ import annotations

import re

_NUMBER_FIRST = r"(?:第\s*{n}\s*小?组|(?:group|team)\s*(?:no\.?\s*)?{n})(?!\d)"
_SEPARATORS = re.compile(r"^[\s·•:：\-–—|/、,，.]*")


def own_name(number: int, name: str | None) -> str:
    """``name`` without a leading label that repeats ``number``: "第1组 · 窗口等候" →
    "窗口等候", "Group 2" → "", "Group 12" → "Group 12" for group 1, any other name as it is."""
    text = (name or "").strip()
    found = re.match(_NUMBER_FIRST.format(n=int(number)), text, re.IGNORECASE)
    if not found:
        return text
    return _SEPARATORS.sub("", text[found.end():]).strip()
