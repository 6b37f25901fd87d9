"""Escaping of texts typed by people for the export formats that need it by hand.

The HTML exporter relies on Jinja's autoescape. Markdown has no such thing, and a Markdown
record is usually shown through a renderer that turns it into HTML, so every typed text goes
through :func:`md_escape` before it lands in the Markdown template.
"""

from __future__ import annotations

import re

#: Characters escaped with a backslash wherever they appear: each can open or close inline
#: formatting (emphasis, code, links, footnotes, tables, strike-through, maths, attributes)
#: in CommonMark, GitHub Flavored Markdown or a common extension of them.
_INLINE_SPECIALS = frozenset("\\`*_[]|#~{}$^")

#: At the start of a line these open a block (list item, heading underline, ordered list).
_LEADING_BLOCK = re.compile(r"^([-+=])")
_LEADING_ORDERED = re.compile(r"^(\d{1,9})([.)])")

#: Control characters other than line breaks: dropped (NUL and friends only cause trouble).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _escape_line(line: str) -> str:
    line = line.replace("\t", " ").strip()
    out: list[str] = []
    for ch in line:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in _INLINE_SPECIALS:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out)
    escaped = _LEADING_BLOCK.sub(r"\\\1", escaped)
    escaped = _LEADING_ORDERED.sub(r"\1\\\2", escaped)
    return escaped


def md_escape(text: object) -> str:
    """Make ``text`` inert inside a line of Markdown (a heading, a list item, a table cell).

    ``& < >`` become HTML entities, so no raw HTML can get through; Markdown control
    characters get a backslash; a leading ``-``, ``+``, ``=`` or ``1.`` cannot start a block;
    line breaks become ``<br>`` so a multi-line text stays inside its list item or table cell.
    Leading and trailing blanks of each line are dropped (they could start a code block).
    ``None`` gives an empty string.
    """
    if text is None:
        return ""
    raw = _CONTROL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_escape_line(line) for line in raw.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "<br>".join(lines)
