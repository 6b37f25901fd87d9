"""The generic canvas board: columns of cards, drawn from a canvas definition in data/.

Members add, edit and delete cards of their own group; the projector shows the same board
read-only. ``refresh()`` redraws only the cards that changed, so a half-typed card elsewhere on
the page is never lost.
"""

from __future__ import annotations

import ipywidgets as w

from actionlab.db.models import Card, Group, Workshop
from actionlab.library import CanvasDef, ColumnDef
from actionlab.services import Workbook
from actionlab.services.canvas import Author
from actionlab.services.live import ChangeBatch

from .common import MessageLine, button, esc, guarded, html_box, local_time, wb


class CardView:
    def __init__(self, board: CanvasBoard, card: Card):
        self.board = board
        _ = board._
        self.card = card
        self.text = html_box("", "wb-card-text")
        self.meta = html_box("", "wb-card-meta")
        parts: list[w.Widget] = [self.text, self.meta]
        if board.editable:
            self.editor = wb(w.Textarea(layout=w.Layout(width="100%", height="4.5em")),
                             "wb-card-editor")
            self.save = button(_("Save"), "wb-card-save", style="primary")
            self.cancel = button(_("Cancel"), "wb-card-cancel")
            self.edit = button(_("Edit"), "wb-card-edit")
            self.delete = button(_("Delete"), "wb-card-delete")
            self.confirm = button(_("Yes, delete"), "wb-card-delete-confirm", style="danger")
            self.keep = button(_("Keep"), "wb-card-delete-cancel")
            self.edit.on_click(lambda _b: self._start_edit())
            self.cancel.on_click(lambda _b: self._show("view"))
            self.save.on_click(lambda _b: self._save())
            self.delete.on_click(lambda _b: self._show("confirm"))
            self.keep.on_click(lambda _b: self._show("view"))
            self.confirm.on_click(lambda _b: self._delete())
            self.actions = wb(w.HBox([self.edit, self.delete]), "wb-card-actions")
            self.editing = wb(w.VBox([self.editor, w.HBox([self.save, self.cancel])]),
                              "wb-card-editing")
            self.confirming = wb(w.HBox([self.confirm, self.keep]), "wb-card-confirming")
            self.controls = w.VBox([self.actions])
            parts.append(self.controls)
        self.widget = wb(w.VBox(parts), "wb-card")
        self.update(card)

    def update(self, card: Card) -> None:
        self.card = card
        _ = self.board._
        self.text.value = f'<div class="wb-card-body">{esc(card.text)}</div>'
        author = self.board.author_name(card.author_id)
        when = local_time(card.created_at)
        edited = (
            " · " + _("edited {time}", time=local_time(card.updated_at))
            if card.updated_at and card.updated_at != card.created_at
            else ""
        )
        self.meta.value = f'<div class="wb-card-byline">{esc(author)} · {esc(when)}{esc(edited)}</div>'

    def _show(self, mode: str) -> None:
        self.controls.children = {
            "view": [self.actions],
            "edit": [self.editing],
            "confirm": [self.confirming],
        }[mode]

    def _start_edit(self) -> None:
        self.editor.value = self.card.text
        self._show("edit")

    def _save(self) -> None:
        card = guarded(self.board.message, self.board.workbook.canvas.edit_card,
                       self.board.author, self.card.id, self.editor.value)
        if card is not None:
            self.update(card)
            self._show("view")

    def _delete(self) -> None:
        guarded(self.board.message, self.board.workbook.canvas.delete_card,
                self.board.author, self.card.id)
        self.board.refresh()


class ColumnView:
    def __init__(self, board: CanvasBoard, column: ColumnDef):
        self.board = board
        _ = board._
        self.column = column
        lang = board.lang
        self.header = html_box(
            f'<div class="wb-column-title">{esc(column.title(lang))}</div>'
            + ("" if board.compact else f'<div class="wb-column-hint">{esc(column.hint(lang))}</div>'),
            "wb-column-header",
        )
        self.count = html_box("", "wb-column-count")
        self.list = wb(w.VBox([]), "wb-card-list")
        self.views: dict[int, CardView] = {}
        parts: list[w.Widget] = [self.header, self.count, self.list]
        if board.editable:
            self.add_text = wb(
                w.Textarea(placeholder=_("New card…"), layout=w.Layout(width="100%", height="4.5em")),
                "wb-add-text",
            )
            self.add_button = button(_("Add card"), "wb-add-button", style="primary")
            self.add_button.on_click(lambda _b: self._add())
            parts.append(wb(w.VBox([self.add_text, self.add_button]), "wb-add"))
        self.widget = wb(w.VBox(parts), "wb-column", f"wb-column-{column.key}")

    def _add(self) -> None:
        b = self.board
        card = guarded(b.message, b.workbook.canvas.add_card, b.author, b.workshop, b.group.id,
                       b.canvas.key, self.column.key, self.add_text.value)
        if card is not None:
            self.add_text.value = ""
            b.refresh()

    def set_cards(self, cards: list[Card]) -> None:
        seen = set()
        for card in cards:
            seen.add(card.id)
            view = self.views.get(card.id)
            if view is None:
                self.views[card.id] = CardView(self.board, card)
            elif (view.card.text, view.card.updated_at) != (card.text, card.updated_at):
                view.update(card)
        for gone in set(self.views) - seen:
            del self.views[gone]
        children = tuple(self.views[c.id].widget for c in cards)
        if children != self.list.children:
            self.list.children = children
        _ = self.board._
        self.count.value = (
            f'<span class="wb-count">{len(cards)}</span>' if cards
            else f'<span class="wb-empty">{esc(_("No cards yet"))}</span>'
        )


class MemberNames:
    """Member id → name for one workshop, shared by every board of a page.

    Loaded once, and reloaded once per batch of changes that touches members, however many
    boards the page shows.
    """

    def __init__(self, workbook: Workbook, workshop: Workshop):
        self.workbook = workbook
        self.workshop = workshop
        self._revision = -1
        self._names: dict[int, str] = {}
        self.reload()

    def reload(self) -> None:
        self._names = {m.id: m.name for m in self.workbook.workshops.members(self.workshop)}

    def on_changes(self, batch: ChangeBatch) -> None:
        last = batch.changes[-1].revision if batch.changes else self._revision
        if last != self._revision and batch.touches("member"):
            self.reload()
        self._revision = last

    def get(self, member_id: int) -> str | None:
        return self._names.get(member_id)


class CanvasBoard:
    """One group's board on one canvas. ``editable`` for members and the facilitator."""

    def __init__(self, workbook: Workbook, workshop: Workshop, group: Group, canvas: CanvasDef,
                 author: Author | None, _, *, compact: bool = False,
                 names: MemberNames | None = None):
        self.workbook = workbook
        self.workshop = workshop
        self.group = group
        self.canvas = canvas
        self.author = author
        self.editable = author is not None
        self.compact = compact
        self._ = _
        self.lang = workshop.lang
        self.message = MessageLine(_)
        self.names = names or MemberNames(workbook, workshop)
        self.columns = [ColumnView(self, col) for col in canvas.columns]
        title = "" if compact else (
            f'<div class="wb-canvas-title">{esc(canvas.title(self.lang))}</div>'
            f'<div class="wb-canvas-intro">{esc(canvas.intro(self.lang))}</div>'
        )
        self.widget = wb(
            w.VBox([
                html_box(title, "wb-canvas-header"),
                self.message.widget,
                wb(w.Box([c.widget for c in self.columns]), "wb-columns"),
            ]),
            "wb-canvas", f"wb-canvas-{canvas.key}", "wb-canvas-compact" if compact else "wb-canvas-full",
        )
        self.refresh()

    def author_name(self, member_id: int | None) -> str:
        if member_id is None:
            return self._("Facilitator")
        return self.names.get(member_id) or self._("(left)")

    def refresh(self) -> None:
        cards = self.workbook.canvas.cards(self.workshop, self.group.id, self.canvas.key)
        for col in self.columns:
            col.set_cards([c for c in cards if c.column == col.column.key])

    def on_changes(self, batch: ChangeBatch) -> None:
        self.names.on_changes(batch)  # reloads at most once per batch, even when shared
        if batch.touches("card", self.group.id):
            self.refresh()
