"""Small helpers shared by every view: CSS classes, escaping, messages, times."""

from __future__ import annotations

import html
import logging
from datetime import datetime, timezone

import ipywidgets as w
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from actionlab.errors import ActionlabError, Busy, InvalidInput

log = logging.getLogger("actionlab.widgets")


def esc(text: object) -> str:
    """Escape text a person typed before it goes into any HTML widget."""
    return html.escape(str(text), quote=True)


def wb_classes(*classes: str) -> dict:
    """A widget's stable ``wb-…`` classes (see docs/ui-contract.md), given where it is made:
    ``w.Button(…, **wb_classes("wb-card-edit"))``. They reach the page with the widget itself;
    added afterwards, each was one more message (a member joining got 113 of them beside the
    88 widgets of the board)."""
    return {"_dom_classes": tuple(dict.fromkeys(classes))}


#: The style models of the widgets below, for :func:`shared` (ipywidgets does not export them).
STYLES = {"description": DescriptionStyle, "html": HTMLStyle, "text": TextStyle}

#: The layouts and styles widgets share (see :func:`shared`), by kind and settings.
_SHARED: dict[tuple, w.Widget] = {}


def shared(kind: type[w.Widget], **settings) -> w.Widget:
    """One ``kind`` (a Layout or a style) with ``settings`` for all the widgets of this kernel
    that never change their own. Each widget otherwise gets a layout and a style model of its
    own, which the kernel makes and sends and the browser builds: on a member's board they
    were most of the page's models. Nothing may change a shared one (``widget.layout.x =``
    would change every widget that shares it): give such a widget a layout of its own."""
    key = (kind, tuple(sorted(settings.items())))
    made = _SHARED.get(key)
    if made is None or made.comm is None:  # none yet, or closed
        made = _SHARED[key] = kind(**settings)
        made.observe(_refuse_change)
    return made


def _refuse_change(change) -> None:
    if change["name"] == "comm":  # closed (the kernel is ending): not a change of its look
        return
    raise RuntimeError(f"{type(change['owner']).__name__}.{change['name']} is shared by many "
                       "widgets and must not change: give this widget a layout of its own")


#: The class that hides a widget (``.wb-hidden`` in the page's CSS, ``display: none``).
HIDDEN = "wb-hidden"


def set_shown(widget: w.DOMWidget, shown: bool) -> None:
    """Show or hide ``widget`` by its class, never its layout, so that a widget that comes
    and goes still shares its layout (:func:`shared`). Nothing is sent when nothing changes."""
    (widget.remove_class if shown else widget.add_class)(HIDDEN)


def is_shown(widget: w.DOMWidget) -> bool:
    return HIDDEN not in widget._dom_classes


def fixed_look(style: str, **layout) -> dict:
    """``layout=`` and ``style=`` for a widget that never changes either: both shared.
    ``style`` names its kind in :data:`STYLES`; ``layout`` are Layout settings."""
    return {"layout": shared(w.Layout, **layout), "style": shared(STYLES[style])}


def is_shared(widget: w.Widget) -> bool:
    return any(widget is made for made in _SHARED.values())


def html_box(value: str = "", *classes: str, layout: w.Layout | None = None,
             shown: bool = True) -> w.HTML:
    """An HTML widget. ``value`` must already be escaped where it holds typed text. Its style
    is shared, and its layout unless ``layout`` gives one (hide it with :func:`set_shown`;
    ``shown=False`` makes it hidden, for a part that is shown only now and then)."""
    return w.HTML(value, style=shared(STYLES["html"]), layout=layout or shared(w.Layout),
                  **wb_classes(*classes, *(() if shown else (HIDDEN,))))


def hbox(children=(), *classes: str, **layout) -> w.HBox:
    """A row whose layout (``layout``: Layout settings) never changes, so it is shared."""
    return w.HBox(list(children), layout=shared(w.Layout, **layout), **wb_classes(*classes))


def vbox(children=(), *classes: str, shown: bool = True, **layout) -> w.VBox:
    """A column whose layout (``layout``: Layout settings) never changes, so it is shared
    (``shown=False``: made hidden, as :func:`html_box`)."""
    return w.VBox(list(children), layout=shared(w.Layout, **layout),
                  **wb_classes(*classes, *(() if shown else (HIDDEN,))))


def box(children=(), *classes: str, **layout) -> w.Box:
    """A box (its look from CSS) whose layout never changes, so it is shared."""
    return w.Box(list(children), layout=shared(w.Layout, **layout), **wb_classes(*classes))


def button(label: str, *classes: str, style: str = "") -> w.Button:
    """A button sized to its label (layout and style shared: never change them)."""
    return w.Button(description=label, button_style=style, layout=shared(w.Layout, width="auto"),
                    style=shared(w.ButtonStyle), **wb_classes("wb-button", *classes))


def close_tree(widget: w.Widget) -> None:
    """Close ``widget`` and every widget inside it (their layouts and styles too): gone from
    the kernel and from the page."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in ("layout", "style"):
        inner = getattr(widget, part, None)
        if isinstance(inner, w.Widget) and not is_shared(inner):
            inner.close()
    widget.close()


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
        else:  # a fault of the workbook's own: the person is told plainly, the log has the rest
            text = self._("This did not work, and it is not your doing. What you typed is still here: try again, and tell the facilitator if it happens again.")  # noqa: E501
        self.widget.value = f'<div class="wb-error" role="alert">{esc(text)}</div>'

    def notice(self, text: str) -> None:
        self.widget.value = f'<div class="wb-notice">{esc(text)}</div>'

    def clear(self) -> None:
        self.widget.value = ""


def guarded(message: MessageLine, action, *args, **kwargs):
    """Run ``action``; a rule broken or a store error shows in ``message`` and returns None.
    Any other exception is a fault of the workbook: its traceback goes to the server's log
    and ``message`` says so plainly, rather than the button seeming to do nothing."""
    try:
        result = action(*args, **kwargs)
    except Exception as exc:
        if not isinstance(exc, ActionlabError):
            log.exception("an action failed: %s", getattr(action, "__qualname__", action))
        message.error(exc)
        return None
    message.clear()
    return result
