"""The form that writes a card: its text, the column's typed fields and the link to a parent.

Used for adding and for editing; the column definition decides which inputs appear.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.library import ColumnDef, FieldDef

from .common import esc, fixed_look, hbox, html_box, vbox, wb_classes

if TYPE_CHECKING:
    from actionlab.db.models import Card, Member

NONE = "—"


def short(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class CardForm:
    """The inputs, in one box; ``then``: widgets the box ends with (the add form's button, so
    that it needs no box of its own); ``classes`` and ``text_classes``: more ``wb-…`` classes
    of the box and of its text (the add form's, an editor's)."""

    def __init__(self, column: ColumnDef, lang: str, _, *, placeholder: str = "",
                 then: tuple[w.Widget, ...] = (), classes: tuple[str, ...] = (),
                 text_classes: tuple[str, ...] = ()):
        self.column = column
        self.lang = lang
        self._ = _
        self.text = w.Textarea(placeholder=placeholder,
                               **fixed_look("text", width="100%", height="4.5em"),
                               **wb_classes("wb-card-input", *text_classes))
        self.inputs: dict[str, w.Widget] = {}
        rows: list[w.Widget] = [self.text]
        for field in column.fields:
            widget = self._input(field)
            self.inputs[field.key] = widget
            mark = " *" if field.required else ""
            rows.append(hbox([
                html_box(f'<span class="wb-field-label">{esc(field.title(lang))}{mark}</span>'),
                widget,
            ], "wb-field", f"wb-field-{field.key}"))
        self.parent = None
        if column.link_to:
            self.parent = w.Dropdown(options=[(NONE, None)], index=0,
                                     **fixed_look("description", width="auto", max_width="100%"),
                                     **wb_classes("wb-card-parent-select"))
            rows.append(hbox([
                html_box(f'<span class="wb-field-label">{esc(_("Belongs to"))}</span>'),
                self.parent,
            ], "wb-field", "wb-field-parent"))
        self.widget = vbox([*rows, *then], "wb-card-form", *classes)

    def _input(self, field: FieldDef) -> w.Widget:
        if field.type == "choice":
            options = [(NONE, None)] + [(o.title(self.lang), o.key) for o in field.options]
            return w.Dropdown(options=options, index=0, **fixed_look("description", width="auto"),
                              **wb_classes("wb-field-input"))
        if field.type == "member":
            return w.Dropdown(options=[(NONE, None)], index=0,
                              **fixed_look("description", width="auto"),
                              **wb_classes("wb-field-input"))
        if field.type == "date":
            return w.DatePicker(value=None, layout=w.Layout(width="auto"),
                                **wb_classes("wb-field-input"))
        return w.Text(placeholder=field.title(self.lang), continuous_update=False,
                      **fixed_look("text", width="100%"), **wb_classes("wb-field-input"))

    # -- choices that depend on the room ------------------------------------------------
    def set_members(self, members: list[Member]) -> None:
        options = [(NONE, None)] + [(m.name, m.id) for m in members]
        for field in self.column.fields:
            if field.type == "member":
                _set_options(self.inputs[field.key], options)

    def set_parents(self, cards: list[Card]) -> None:
        if self.parent is not None:
            _set_options(self.parent, [(NONE, None)] + [(short(c.text), c.id) for c in cards])

    # -- values --------------------------------------------------------------------------
    def values(self) -> tuple[str, dict, int | None]:
        fields = {}
        for key, widget in self.inputs.items():
            value = widget.value
            if isinstance(value, date):
                value = value.isoformat()
            fields[key] = value
        return self.text.value, fields, (self.parent.value if self.parent is not None else None)

    def load(self, card: Card) -> None:
        self.text.value = card.text
        values = card.fields or {}
        for key, widget in self.inputs.items():
            value = values.get(key)
            if isinstance(widget, w.DatePicker):
                widget.value = date.fromisoformat(value) if value else None
            elif isinstance(widget, w.Dropdown):
                set_choice(widget, value)
            else:
                widget.value = value or ""
        if self.parent is not None:
            set_choice(self.parent, card.parent_id)

    def clear(self) -> None:
        self.text.value = ""
        for widget in self.inputs.values():
            if isinstance(widget, w.Dropdown):
                set_choice(widget, None)
            else:
                widget.value = None if isinstance(widget, w.DatePicker) else ""
        if self.parent is not None:
            set_choice(self.parent, None)


def set_choice(dropdown: w.Dropdown, value) -> None:
    """Select ``value``; None selects the first, "nothing chosen" option (shown as a dash
    rather than as an empty box)."""
    if value is None or value not in {v for _l, v in dropdown.options}:
        dropdown.index = 0 if dropdown.options else None
    else:
        dropdown.value = value


def _set_options(dropdown: w.Dropdown, options: list[tuple[str, object]]) -> None:
    """Replace a dropdown's options and keep its value when it is still offered."""
    if list(dropdown.options) == options:
        return
    keep = dropdown.value
    dropdown.options = options
    set_choice(dropdown, keep)
