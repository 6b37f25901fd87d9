"""Small helpers shared by every view: CSS classes, escaping, messages, times."""

from __future__ import annotations

import html
from datetime import datetime, timezone

import ipywidgets as w

from actionlab.errors import ActionlabError, Busy, InvalidInput


def esc(text: object) -> str:
    """Escape text a person typed before it goes into any HTML widget."""
    return html.escape(str(text), quote=True)


def wb(widget: w.DOMWidget, *classes: str) -> w.DOMWidget:
    """Give ``widget`` its stable ``wb-…`` classes (see docs/ui-contract.md)."""
    for cls in classes:
        widget.add_class(cls)
    return widget


def html_box(value: str = "", *classes: str) -> w.HTML:
    """An HTML widget. ``value`` must already be escaped where it holds typed text."""
    return wb(w.HTML(value), *classes)


def button(label: str, *classes: str, style: str = "") -> w.Button:
    return wb(w.Button(description=label, button_style=style, layout=w.Layout(width="auto")),
              "wb-button", *classes)


def local_time(value: datetime | None, fmt: str = "%H:%M") -> str:
    """A stored UTC time as local wall-clock text."""
    if value is None:
        return ""
    return value.replace(tzinfo=timezone.utc).astimezone().strftime(fmt)


class MessageLine:
    """One line for errors and notices under a form; shows a translated message."""

    def __init__(self, _):
        self._ = _
        self.widget = html_box("", "wb-message")

    def error(self, exc: Exception) -> None:
        if isinstance(exc, InvalidInput):
            text = exc.translated(self._)
        elif isinstance(exc, Busy):
            text = self._("Many people are saving at once. Nothing was lost: try again in a moment.")
        elif isinstance(exc, ActionlabError):
            text = self._("Something went wrong: {detail}", detail=str(exc))
        else:
            text = self._("Something went wrong: {detail}", detail=repr(exc))
        self.widget.value = f'<div class="wb-error" role="alert">{esc(text)}</div>'

    def notice(self, text: str) -> None:
        self.widget.value = f'<div class="wb-notice">{esc(text)}</div>'

    def clear(self) -> None:
        self.widget.value = ""


def guarded(message: MessageLine, action, *args, **kwargs):
    """Run ``action``; a rule broken or a store error shows in ``message`` and returns None."""
    try:
        result = action(*args, **kwargs)
    except ActionlabError as exc:
        message.error(exc)
        return None
    message.clear()
    return result
