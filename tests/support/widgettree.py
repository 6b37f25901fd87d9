"""Walking a page's widget tree without a browser."""

from __future__ import annotations


def all_widgets(root) -> list:
    """Every widget under ``root`` (``root`` included), each once, through ``children``."""
    found, todo, seen = [], [root], set()
    while todo:
        widget = todo.pop()
        if id(widget) in seen:
            continue
        seen.add(id(widget))
        found.append(widget)
        todo.extend(getattr(widget, "children", ()) or ())
    return found
