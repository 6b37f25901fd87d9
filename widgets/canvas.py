"""The generic canvas board: columns of cards, drawn from a canvas definition in data/.

What a column offers comes from its definition: typed fields, a link to a card of another
column, "why?" drill-down, scores on criteria, dot votes, fist-to-five, the group's decision,
private writing until the facilitator reveals. Members work on their own group's board; the
projector shows the same board read-only. ``refresh()`` redraws only what changed, so a
half-typed card elsewhere on the page is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.errors import ActionlabError
from actionlab.i18n import N_
from actionlab.library import CanvasDef, ColumnDef
from actionlab.services import Workbook
from actionlab.services.canvas import Author, EditConflict
from actionlab.services.live import ChangeBatch
from actionlab.services.options import revealed
from actionlab.services.roomstate import HIDDEN, LOCKED, OPEN, PRIVATE, room_state
from actionlab.services.scoring import CONSENSUS, FIST_HIGH, FIST_LOW, CardScore, Consensus
from actionlab.services.voting import Tally

from .cardform import CardForm, set_choice, short
from .common import (
    MessageLine,
    box,
    button,
    close_tree,
    esc,
    fixed_look,
    guarded,
    hbox,
    html_box,
    local_time,
    set_shown,
    vbox,
    wb_classes,
)
from .roomwatch import RoomWatch

if TYPE_CHECKING:
    from actionlab.db.models import Card, Group, Member, Workshop

#: Entities whose changes redraw a board.
BOARD_ENTITIES = ("card", "vote", "score", "member")


@dataclass
class BoardData:
    """What one refresh of a board reads, once for all its cards."""

    cards: list[Card]
    members: list[Member]
    tally: Tally | None = None
    mine: dict[tuple[int, str], int] = field(default_factory=dict)
    summaries: dict[str, dict[int, CardScore]] = field(default_factory=dict)
    consensus: dict[int, Consensus] = field(default_factory=dict)
    by_id: dict[int, Card] = field(default_factory=dict)


class CardView:
    """One card on a board. Its widgets are made showing ``card`` as ``data`` has it, so they
    reach the phone drawn, with no message after each to fill it in; :meth:`update` then
    sends only what changes."""

    def __init__(self, column: ColumnView, card: Card, data: BoardData):
        self.column = column
        self.board = board = column.board
        _ = board._
        col = column.column
        self.card = card
        self._loading = False
        self.text = html_box(self._text_html(card), "wb-card-text")
        self.details = html_box(self._details(card, data), "wb-card-details")
        self.meta = html_box(self._meta_html(card), "wb-card-meta")
        parts: list[w.Widget] = [self.text, self.details]
        self.votes = (html_box(self._votes_html(card, data.tally) if data.tally is not None else "",
                               "wb-card-votes") if col.vote else None)
        self.scores = (html_box(self._scores_html(card, data), "wb-card-scores")
                       if col.score or col.consensus else None)
        if board.editable:
            if col.vote:
                self.vote_up = button("+1", "wb-vote-add")
                self.vote_down = button("−1", "wb-vote-remove")
                self.vote_up.on_click(lambda _b: self._vote(True))
                self.vote_down.on_click(lambda _b: self._vote(False))
                parts.append(hbox([self.votes, self.vote_up, self.vote_down], "wb-vote"))
            self.pickers: dict[str, w.Dropdown] = {}
            rows = []
            for crit in (col.score.criteria if col.score else ()):
                rows.append(self._picker(crit.key, crit.title(board.lang), col.score.low,
                                         col.score.high))
            if col.consensus:
                rows.append(self._picker(CONSENSUS, _("Fist to five"), FIST_LOW, FIST_HIGH))
            if rows:
                parts.append(vbox(rows + [self.scores], "wb-score"))
        else:
            parts += [x for x in (self.votes, self.scores) if x is not None]
        parts.append(self.meta)
        if board.editable:
            self.edit = button(_("Edit"), "wb-card-edit")
            self.delete = button(_("Delete"), "wb-card-delete")
            self.edit.on_click(lambda _b: self._start_edit())
            self.delete.on_click(lambda _b: self._show("confirm"))
            buttons = [self.edit, self.delete]
            if col.why:
                self.why = button(_("Why?"), "wb-card-why")
                self.why.on_click(lambda _b: self._show("why"))
                buttons.append(self.why)
            if col.decide is not None and board.may_decide:
                self.decide = button(self._decide_label(card), "wb-card-decide")
                self.decide.on_click(lambda _b: self._decide())
                buttons.append(self.decide)
            self.actions = hbox(buttons, "wb-card-actions", flex_flow="row wrap")
            self.conflict: EditClash | None = None  # built on the first clash only
            self.controls = vbox([self.actions])
            parts.append(self.controls)
        self.widget = vbox(parts, "wb-card", *self._state_classes(card))
        self.mode = "view"
        self._set_choices(card, data)

    # -- the parts a person opens: built the first time (most cards are only read) ---------
    # Every widget is a model the page's kernel makes and the browser receives when the
    # page is built, so a card's editor, its delete confirmation and its "why?" box come
    # into being only when someone first asks for them.
    @cached_property
    def form(self) -> CardForm:
        return CardForm(self.column.column, self.board.lang, self.board._,
                        text_classes=("wb-card-editor",))

    @cached_property
    def save(self) -> w.Button:
        return self._button(N_("Save"), "wb-card-save", self._save, style="primary")

    @cached_property
    def cancel(self) -> w.Button:
        return self._button(N_("Cancel"), "wb-card-cancel", lambda: self._show("view"))

    @cached_property
    def edit_buttons(self) -> w.HBox:
        return hbox([self.save, self.cancel])

    @cached_property
    def editing(self) -> w.VBox:
        return vbox([self.form.widget, self.edit_buttons], "wb-card-editing")

    @cached_property
    def confirm(self) -> w.Button:
        return self._button(N_("Yes, delete"), "wb-card-delete-confirm", self._delete,
                            style="danger")

    @cached_property
    def keep(self) -> w.Button:
        return self._button(N_("Keep"), "wb-card-delete-cancel", lambda: self._show("view"))

    @cached_property
    def confirming(self) -> w.HBox:
        return hbox([self.confirm, self.keep], "wb-card-confirming")

    @cached_property
    def why_text(self) -> w.Textarea:
        return w.Textarea(placeholder=self.board._("Why does this happen?"),
                          **fixed_look("text", width="100%", height="3.5em"),
                          **wb_classes("wb-why-text"))

    @cached_property
    def why_buttons(self) -> w.HBox:
        return hbox([
            self._button(N_("Add the answer"), "wb-why-save", self._ask_why, style="primary"),
            self._button(N_("Cancel"), "wb-why-cancel", lambda: self._show("view")),
        ])

    def _button(self, label: str, cls: str, action, style: str = "") -> w.Button:
        """A button with ``label`` (marked with ``N_``) in the page's language."""
        made = button(self.board._(label), cls, style=style)
        made.on_click(lambda _b: action())
        return made

    def close(self) -> None:
        """The card left the board: its widgets go, in the kernel and in the browser."""
        close_tree(self.widget)
        parts = [self.__dict__.get(p)
                 for p in ("actions", "editing", "confirming", "why_text", "why_buttons")]
        if getattr(self, "conflict", None) is not None:
            parts += [self.conflict.box, self.conflict.choices]
        for part in parts:
            if part is not None:
                close_tree(part)

    def _picker(self, criterion: str, label: str, low: int, high: int) -> w.Widget:
        picker = w.Dropdown(options=[("–", None)] + [(str(v), v) for v in range(low, high + 1)],
                            index=0, **fixed_look("description", width="5em"),
                            **wb_classes("wb-score-input", f"wb-score-{criterion}"))
        picker.observe(lambda ch, c=criterion: self._score(c, ch["new"]), names="value")
        self.pickers[criterion] = picker
        return hbox([html_box(f'<span class="wb-score-label">{esc(label)}</span>'), picker],
                    "wb-score-row")

    # -- drawing -------------------------------------------------------------------------
    def _text_html(self, card: Card) -> str:
        return f'<div class="wb-card-body">{esc(card.text)}</div>'

    def _meta_html(self, card: Card) -> str:
        _ = self.board._
        author = self.board.author_name(card.author_id)
        edited = (
            " · " + _("edited {time}", time=local_time(card.updated_at))
            if card.updated_at and card.updated_at != card.created_at else ""
        )
        return (f'<div class="wb-card-byline">{esc(author)} · '
                f'{esc(local_time(card.created_at))}{esc(edited)}</div>')

    def _state_classes(self, card: Card) -> tuple[str, ...]:
        """The classes that follow the card's state: agreed by the group, fields missing."""
        missing = self.board.workbook.canvas.missing_fields(card, self.column.column)
        return tuple(cls for cls, on in (("wb-card-is-decided", card.decided),
                                         ("wb-card-is-incomplete", bool(missing))) if on)

    def update(self, card: Card, data: BoardData) -> None:
        self.card = card
        self.text.value = self._text_html(card)
        self.details.value = self._details(card, data)
        self.meta.value = self._meta_html(card)
        state = self._state_classes(card)
        kept = tuple(c for c in self.widget._dom_classes
                     if c not in ("wb-card-is-decided", "wb-card-is-incomplete"))
        if set(self.widget._dom_classes) != set(kept + state):
            self.widget._dom_classes = kept + state
        if self.votes is not None and data.tally is not None:
            self.votes.value = self._votes_html(card, data.tally)
        if self.scores is not None:
            self.scores.value = self._scores_html(card, data)
        self._set_choices(card, data)

    def _decide_label(self, card: Card) -> str:
        return self.board._("Undo decision") if card.decided else self.column.column.decide(self.board.lang)

    def _set_choices(self, card: Card, data: BoardData) -> None:
        """The person's own scores in the pickers, and the decide button's words."""
        board, col = self.board, self.column.column
        if not board.editable:
            return
        self._loading = True
        try:
            voter = board.voter_id
            for criterion, picker in self.pickers.items():
                set_choice(picker, data.mine.get((card.id, criterion)) if voter else None)
        finally:
            self._loading = False
        if col.decide is not None and board.may_decide:
            self.decide.description = self._decide_label(card)

    def _details(self, card: Card, data: BoardData) -> str:
        board, col, _ = self.board, self.column.column, self.board._
        lang = board.lang
        parts = []
        if card.decided:
            parts.append(f'<div class="wb-card-decided">✔ {esc(_("Agreed by the group"))}</div>')
        values = card.fields or {}
        items = []
        names = {m.id: m.name for m in data.members}
        for f in col.fields:
            value = values.get(f.key)
            if value in (None, ""):
                continue
            if f.type == "choice":
                shown = f.option_title(value, lang)
            elif f.type == "member":
                shown = names.get(value) or board.author_name(value)
            else:
                shown = str(value)
            items.append(f'<span class="wb-card-field wb-card-field-{esc(f.key)}">'
                         f'<b>{esc(f.title(lang))}</b> {esc(shown)}</span>')
        if items:
            parts.append(f'<div class="wb-card-fields">{"".join(items)}</div>')
        missing = board.workbook.canvas.missing_fields(card, col)
        if missing:
            names_missing = _(", ").join(f.title(lang) for f in missing)
            parts.append(f'<div class="wb-card-incomplete">{esc(_("Incomplete: {fields}", fields=names_missing))}</div>')
        if card.parent_id:
            parent = data.by_id.get(card.parent_id)
            if parent is not None:
                parts.append(f'<div class="wb-card-parent">↳ {esc(short(parent.text, 60))}</div>')
        return "".join(parts)

    def _votes_html(self, card: Card, tally: Tally) -> str:
        _ = self.board._
        n = tally.counts.get(card.id, 0)
        out = f'<span class="wb-vote-count" title="{esc(_("votes"))}">● {n}</span>'
        if not tally.rules.anonymous and n:
            names = _(", ").join(
                f"{self.board.author_name(mid)}×{k}" if k > 1 else self.board.author_name(mid)
                for mid, k in tally.voters.get(card.id, {}).items())
            out += f' <span class="wb-vote-names">{esc(names)}</span>'
        voter = self.board.voter_id
        if self.board.editable and voter is not None:
            mine = tally.mine(card.id, voter)
            if mine:
                out += f' <span class="wb-vote-mine">{esc(_("yours: {n}", n=mine))}</span>'
        return out

    def _scores_html(self, card: Card, data: BoardData) -> str:
        board, col, _ = self.board, self.column.column, self.board._
        parts = []
        summary = data.summaries.get(col.key, {}).get(card.id)
        if col.score is not None:
            if summary is None:
                parts.append(f'<span class="wb-score-none">{esc(_("not scored yet"))}</span>')
            else:
                means = " · ".join(
                    f"{c.title(board.lang)} {summary.means[c.key]:.1f}"
                    for c in col.score.criteria if c.key in summary.means)
                total = f"{summary.total:.2f}" if summary.total is not None else "–"
                parts.append(
                    f'<span class="wb-score-total">{esc(_("Score {total}", total=total))}</span> '
                    f'<span class="wb-score-raters">{esc(_("({n} scored)", n=summary.raters))}</span>'
                    f'<div class="wb-score-means">{esc(means)}</div>')
        if col.consensus:
            result = data.consensus.get(card.id)
            if result is None or not result.hands:
                parts.append(f'<div class="wb-consensus wb-consensus-none">{esc(_("No hands shown yet"))}</div>')
            else:
                hist = " ".join(f"{v}:{n}" for v, n in zip(range(FIST_LOW, FIST_HIGH + 1),
                                                           result.histogram(), strict=True) if n)
                verdict = (_("consensus: everyone at 3 or more") if result.agreed
                           else _("no consensus yet: lowest hand {low}", low=result.low))
                cls = "wb-consensus-yes" if result.agreed else "wb-consensus-no"
                parts.append(f'<div class="wb-consensus {cls}">{esc(_("Fist to five"))}: {esc(hist)} · {esc(verdict)}</div>')
        return "".join(parts)

    # -- actions -------------------------------------------------------------------------
    def _show(self, mode: str) -> None:
        self.mode = mode
        if (mode != "conflict" and "editing" in self.__dict__
                and self.editing.children[-1] is not self.edit_buttons):
            self.editing.children = [self.form.widget, self.edit_buttons]
        if mode == "view":
            children = [self.actions]
        elif mode == "edit":
            children = [self.editing]
        elif mode == "confirm":
            children = [self.confirming]
        else:
            self.why_text.value = ""
            children = [self.why_text, self.why_buttons]
        self.controls.children = children

    def _start_edit(self) -> None:
        self.form.set_members(self.board.group_members)
        self.form.set_parents(self.board.parents_for(self.column.column))
        self.form.load(self.card)
        self.base = self.card
        self._show("edit")

    def _save(self) -> None:
        text, fields, parent = self.form.values()
        board = self.board
        try:
            board.workbook.canvas.edit_card(board.author, self.card.id, text, fields=fields,
                                            parent_id=parent, base=self.base)
        except EditConflict as exc:
            # Nothing is overwritten: the person sees both versions and chooses.
            self._clash(exc)
            board.refresh()
            return
        except ActionlabError as exc:
            board.message.error(exc)
            board.refresh()  # a card deleted meanwhile leaves; its text is kept (set_cards)
            return
        board.message.clear()
        self._show("view")
        board.refresh()

    def _clash(self, exc: EditConflict) -> None:
        """Someone saved first: their version as text, the person's own still in the editor,
        and the choice between them. "Keep mine" saves over the version shown here only; if
        yet another save came in meanwhile, the clash shows again with that one."""
        self.base = exc.current
        if self.conflict is None:
            self.conflict = EditClash(self.board._, self._save, self._use_theirs)
        self.conflict.show(exc, exc.current)
        self.mode = "conflict"
        self.editing.children = [self.conflict.box, self.form.widget, self.conflict.choices]

    def _use_theirs(self) -> None:
        """Drop the person's own changes: their version stays, the editor closes."""
        self.board.message.clear()
        self._show("view")
        self.board.refresh()

    def _delete(self) -> None:
        guarded(self.board.message, self.board.workbook.canvas.delete_card,
                self.board.author, self.card.id)
        self.board.refresh()

    def _ask_why(self) -> None:
        card = guarded(self.board.message, self.board.workbook.canvas.ask_why,
                       self.board.author, self.card.id, self.why_text.value)
        if card is not None:
            self._show("view")
            self.board.refresh()

    def _decide(self) -> None:
        guarded(self.board.message, self.board.workbook.canvas.decide, self.board.author,
                self.card.id, not self.card.decided)
        self.board.refresh()

    def _vote(self, up: bool) -> None:
        voting = self.board.workbook.voting
        action = voting.vote if up else voting.unvote
        guarded(self.board.message, action, self.board.author, self.card.id,
                self.board.proxy_id)
        self.board.refresh()

    def _score(self, criterion: str, value) -> None:
        if self._loading:
            return
        done = guarded(self.board.message, self.board.workbook.scoring.score, self.board.author,
                       self.card.id, criterion, value, self.board.proxy_id)
        if done is None and self.board.message.widget.value:
            self.board.refresh()  # put the stored value back
            return
        self.board.refresh()


class EditClash:
    """The part of a card's editor that appears when someone else saved first."""

    def __init__(self, _, keep_mine, use_theirs):
        self._ = _
        self.box = html_box("", "wb-card-conflict")
        mine = button(_("Keep mine"), "wb-conflict-keep-mine", style="warning")
        theirs = button(_("Use theirs"), "wb-conflict-use-theirs")
        mine.on_click(lambda _b: keep_mine())
        theirs.on_click(lambda _b: use_theirs())
        self.choices = w.HBox([mine, theirs], layout=w.Layout(flex_flow="row wrap"),
                              **wb_classes("wb-conflict-choices"))

    def show(self, exc: EditConflict, theirs: Card) -> None:
        _ = self._
        self.box.value = (
            f'<div class="wb-conflict" role="alert">'
            f'<div class="wb-conflict-note wb-error">{esc(exc.translated(_))}</div>'
            f'<div class="wb-conflict-theirs wb-notice">'
            f'<div class="wb-conflict-label"><b>{esc(_("Their version, saved {time}", time=local_time(theirs.updated_at)))}</b></div>'
            f'<div class="wb-conflict-text">{esc(theirs.text)}</div></div>'
            f'<div class="wb-conflict-help">{esc(_("Keep mine saves the text in the editor over their version; Use theirs drops your changes."))}</div>'
            f'<div class="wb-conflict-mine"><b>{esc(_("Your version"))}</b></div>'
            f'</div>')


class ColumnView:
    def __init__(self, board: CanvasBoard, column: ColumnDef):
        self.board = board
        _ = board._
        self.column = column
        lang = board.lang
        hint = "" if board.compact else f'<div class="wb-column-hint">{esc(column.hint(lang))}</div>'
        private = (f'<div class="wb-column-private">{esc(_("Written privately until the facilitator reveals"))}</div>'
                   if column.private else "")
        # title, hint and card count in one widget (the count changes, the rest never does)
        self._title = f'<div class="wb-column-title">{esc(column.title(lang))}</div>{hint}{private}'
        self.header = html_box(self._title, "wb-column-header")
        # the sub-tasks under the column that has them; no widget where it would stay empty
        self.extra = html_box("", "wb-column-extra") if column.subtasks else None
        self.list = vbox([], "wb-card-list")
        self.views: dict[int, CardView] = {}
        parts: list[w.Widget] = [self.header]
        if self.extra is not None:
            parts.append(self.extra)
        parts.append(self.list)
        if board.editable:
            self.add_button = button(_("Add card"), "wb-add-button", style="primary")
            self.add_button.on_click(lambda _b: self._add())
            self.form = CardForm(column, lang, _, placeholder=_("New card…"), then=(self.add_button,),
                                 classes=("wb-add",), text_classes=("wb-add-text",))
            self.add_text = self.form.text
            parts.append(self.form.widget)
        self.widget = vbox(parts, "wb-column", f"wb-column-{column.key}")

    def _add(self) -> None:
        b = self.board
        text, fields, parent = self.form.values()
        card = guarded(b.message, b.workbook.canvas.add_card, b.author, b.workshop, b.group.id,
                       b.canvas.key, self.column.key, text, fields=fields, parent_id=parent)
        if card is not None:
            self.form.clear()
            b.refresh()

    def _keep_typed(self, view: CardView) -> None:
        """A card someone was editing left the board (deleted, or hidden by the room): what
        they typed moves to this column's box for a new card rather than vanishing."""
        if view.mode not in ("edit", "conflict"):
            return
        typed = view.form.text.value.strip()
        if typed and typed != view.card.text and not self.add_text.value.strip():
            self.add_text.value = typed
            _ = self.board._
            self.board.message.notice(_("The card you were editing was removed. Your text is in the box for a new card in its column."))

    def set_cards(self, cards: list[Card], data: BoardData, hidden: int = 0) -> None:
        seen = set()
        for card in cards:
            seen.add(card.id)
            view = self.views.get(card.id)
            if view is None:  # made drawn
                self.views[card.id] = CardView(self, card, data)
            else:
                view.update(card, data)
        gone = [self.views.pop(card_id) for card_id in set(self.views) - seen]
        for view in gone:
            self._keep_typed(view)
        children = tuple(self.views[c.id].widget for c in cards)
        if children != self.list.children:
            self.list.children = children
        for view in gone:  # once no box holds them
            view.close()
        _ = self.board._
        count = (f'<span class="wb-count">{len(cards)}</span>' if cards
                 else f'<span class="wb-empty">{esc(_("No cards yet"))}</span>')
        if hidden:
            count += (f' <span class="wb-private-count">'
                      f'{esc(_("{n} written privately, not revealed yet", n=hidden))}</span>')
        warning = self.board.workbook.canvas.count_warning(data.cards, self.column)
        if warning is not None:
            low, high = warning
            expected = (_("Cards expected: {n}", n=low) if low == high
                        else _("Expected {low} to {high} cards", low=low, high=high))
            count += f' <span class="wb-column-warning">⚠ {esc(expected)}</span>'

        self.header.value = f'{self._title}<div class="wb-column-count">{count}</div>'
        if self.extra is not None:
            self.extra.value = self.board.subtasks_html(data.members)
        if self.board.editable:
            self.form.set_members(data.members)
            self.form.set_parents(self.board.parents_for(self.column))


class MemberNames:
    """Member id → name for one workshop, shared by every board of a page.

    Loaded once, and reloaded once per batch of changes that touches members, however many
    boards the page shows.
    """

    def __init__(self, workbook: Workbook, workshop: Workshop):
        self.workbook = workbook
        self.workshop = workshop
        self._revision = -1
        self.members: list[Member] = []
        self._names: dict[int, str] = {}
        self.reload()

    def reload(self) -> None:
        self.members = self.workbook.workshops.members(self.workshop)
        self._names = {m.id: m.name for m in self.members}

    def on_changes(self, batch: ChangeBatch) -> None:
        last = batch.changes[-1].revision if batch.changes else self._revision
        if last != self._revision and batch.touches("member"):
            self.reload()
        self._revision = last

    def get(self, member_id: int) -> str | None:
        return self._names.get(member_id)

    def of_group(self, group_id: int) -> list[Member]:
        return [m for m in self.members if m.group_id == group_id]


class CanvasBoard:
    """One group's board on one canvas. ``editable`` for members and the facilitator."""

    def __init__(self, workbook: Workbook, workshop: Workshop, group: Group, canvas: CanvasDef,
                 author: Author | None, _, *, compact: bool = False,
                 names: MemberNames | None = None, room: RoomWatch | None = None):
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
        self.room = room or RoomWatch(workbook, workshop)
        self.may_decide = self.editable and workbook.canvas.may_decide(author)
        self._parents: dict[str, list[Card]] = {}
        self.proxy: w.Dropdown | None = None
        self.status = html_box("", "wb-board-status")
        top: list[w.Widget] = []
        if not compact:
            top.append(html_box(
                f'<div class="wb-canvas-title">{esc(canvas.title(self.lang))}</div>'
                f'<div class="wb-canvas-intro">{esc(canvas.intro(self.lang))}</div>',
                "wb-canvas-header"))
        self.needs_voter = any(c.vote or c.score or c.consensus for c in canvas.columns)
        if self.editable and author.is_facilitator and self.needs_voter:
            self.proxy = w.Dropdown(options=[("—", None)], index=0,
                                    layout=w.Layout(width="auto"), **wb_classes("wb-proxy-select"))
            self.proxy.observe(lambda _c: self.refresh(), names="value")
            top.append(hbox([
                html_box(f'<span class="wb-label">{esc(_("Votes and scores for"))}</span>'),
                self.proxy], "wb-proxy"))
        self.compare = html_box("", "wb-compare")
        self.map = html_box("", "wb-strategy-map")
        self.columns = [ColumnView(self, col) for col in canvas.columns]
        self.mode_note = html_box("", "wb-step-mode-note")
        self.body = vbox([
            self.message.widget, self.status, self.compare,
            box([c.widget for c in self.columns], "wb-columns"),
            self.map,
        ])
        self.widget = vbox(
            top + [self.mode_note, self.body],
            "wb-canvas", f"wb-canvas-{canvas.key}", "wb-canvas-compact" if compact else "wb-canvas-full",
        )
        self.mode = OPEN
        self._apply_mode(room_state(workshop).mode(canvas.key))
        self.refresh()

    # -- what the room allows ----------------------------------------------------------------
    def _apply_mode(self, mode: str) -> None:
        """Locked: read only for members; hidden: members see a notice; private: each member
        sees their own cards. The facilitator's boards stay as they are, with a note."""
        _ = self._
        for old in (LOCKED, HIDDEN, PRIVATE):
            self.widget.remove_class(f"wb-step-{old}")
        self.mode = mode
        if mode != OPEN:
            self.widget.add_class(f"wb-step-{mode}")
        notes = {
            LOCKED: _("Locked by the facilitator: read only."),
            HIDDEN: _("This step is not open yet."),
            PRIVATE: _("Private writing: each person sees only their own cards until the facilitator reveals them."),
        }
        self.mode_note.value = (f'<div class="wb-step-mode wb-step-mode-{mode}">{esc(notes[mode])}</div>'
                                if mode in notes else "")
        member = self.author is not None and not self.author.is_facilitator
        set_shown(self.body, not (mode == HIDDEN and (member or self.author is None)))

    # -- who ------------------------------------------------------------------------------
    @property
    def proxy_id(self) -> int | None:
        """Whom votes and scores are for when the facilitator enters them (None: oneself)."""
        return self.proxy.value if self.proxy is not None else None

    @property
    def voter_id(self) -> int | None:
        if not self.editable:
            return None
        return self.proxy_id if self.author.is_facilitator else self.author.member_id

    @property
    def group_members(self) -> list[Member]:
        return self.names.of_group(self.group.id)

    def author_name(self, member_id: int | None) -> str:
        if member_id is None:
            return self._("Facilitator")
        return self.names.get(member_id) or self._("(left)")

    def parents_for(self, column: ColumnDef) -> list[Card]:
        return self._parents.get(column.key, [])

    # -- reading ---------------------------------------------------------------------------
    def _read(self) -> BoardData:
        wb_, ws, gid, key = self.workbook, self.workshop, self.group.id, self.canvas.key
        cards = wb_.canvas.cards(ws, gid, key)
        data = BoardData(cards=cards, members=self.group_members)
        data.by_id = {c.id: c for c in cards}
        if any(c.vote for c in self.canvas.columns):
            data.tally = wb_.voting.tally(ws, gid, key)
        if any(c.score or c.consensus for c in self.canvas.columns):
            scores = wb_.scoring.scores(ws, gid, key)  # one query for the whole board
            voter = self.voter_id
            if voter is not None:
                data.mine = wb_.scoring.mine(ws, gid, key, voter, scores)
            for col in self.canvas.columns:
                if col.score:
                    data.summaries[col.key] = wb_.scoring.summary(ws, gid, key, col.key, scores)
            data.consensus = wb_.scoring.consensus(ws, gid, key, scores)
        self._parents = {}
        targets = {col.key: wb_.canvas.parent_targets(key, col) for col in self.canvas.columns}
        outside = any(t[0] != key for ts in targets.values() for t in ts)
        pool = wb_.canvas.cards(ws, gid) if outside else cards
        for col_key, ts in targets.items():
            if ts:
                self._parents[col_key] = [c for c in pool if (c.canvas, c.column) in ts]
                data.by_id.update({c.id: c for c in self._parents[col_key]})
        return data

    def refresh(self) -> None:
        data = self._read()
        if self.proxy is not None:
            from .cardform import _set_options

            _set_options(self.proxy, [("—", None)] + [(m.name, m.id) for m in data.members])
        visible = self.workbook.canvas.visible(self.workshop, data.cards, self.author)
        for col in self.columns:
            shown = [c for c in visible if c.column == col.column.key]
            hidden = 0
            if self.mode == PRIVATE or (col.column.private and not revealed(
                    self.workshop, self.canvas.key, col.column.key)):
                hidden = sum(1 for c in data.cards if c.column == col.column.key) - len(shown)
            col.set_cards(shown, data, hidden)
        self.status.value = self._status_html(data)
        self.compare.value = self._compare_html(data) if self.canvas.compare else ""
        self.map.value = self._map_html() if self.canvas.map else ""

    def _status_html(self, data: BoardData) -> str:
        _ = self._
        if data.tally is None or not self.editable:
            return ""
        voter = self.voter_id
        if voter is None:
            return f'<div class="wb-vote-status">{esc(_("Choose whom you are voting for."))}</div>'
        rules = data.tally.rules
        return (f'<div class="wb-vote-status">'
                f'{esc(_("Votes left: {left} of {budget} (at most {cap} per card)", left=data.tally.left(voter), budget=rules.budget, cap=rules.cap))}'
                f'</div>')

    def _compare_html(self, data: BoardData) -> str:
        _ = self._
        first, agreed = self.canvas.compare
        def texts(cards):
            return "".join(f'<li>{esc(c.text)}</li>' for c in cards) or \
                f'<li class="wb-empty">{esc(_("not yet"))}</li>'
        originals = [c for c in data.cards if c.column == first]
        decided = [c for c in data.cards if c.column == agreed and c.decided]
        return (
            f'<div class="wb-compare-box">'
            f'<div class="wb-compare-first"><div class="wb-compare-title">{esc(self.canvas.column(first).title(self.lang))}</div><ul>{texts(originals)}</ul></div>'
            f'<div class="wb-compare-arrow">→</div>'
            f'<div class="wb-compare-agreed"><div class="wb-compare-title">{esc(_("Agreed"))}: {esc(self.canvas.column(agreed).title(self.lang))}</div><ul>{texts(decided)}</ul></div>'
            f'</div>'
        )

    def _map_html(self) -> str:
        _ = self._
        tree = self.workbook.canvas.map_tree(self.workshop, self.group.id, self.canvas.map)
        titles = [self.workbook.library.column(ref)[1].title(self.lang) for ref in self.canvas.map]

        def node(n) -> str:
            mark = " wb-map-decided" if n.card.decided else ""
            kids = "".join(node(c) for c in n.children)
            return (f'<li class="wb-map-node wb-map-level-{n.level}{mark}">'
                    f'<span class="wb-map-kind">{esc(titles[n.level])}</span> {esc(n.card.text)}'
                    + (f"<ul>{kids}</ul>" if kids else "") + "</li>")

        body = "".join(node(n) for n in tree) or f'<li class="wb-empty">{esc(_("The map fills in as goals, strategies and actions are linked."))}</li>'
        return (f'<div class="wb-map"><div class="wb-map-title">{esc(_("Strategy map"))}</div>'
                f'<ul class="wb-map-tree">{body}</ul></div>')

    def subtasks_html(self, members: list[Member]) -> str:
        _ = self._
        rows = []
        for m in members:
            if m.subtask:
                rows.append(f'<li><b>{esc(m.name)}</b>: {esc(m.subtask)}</li>')
            else:
                rows.append(f'<li class="wb-no-subtask"><b>{esc(m.name)}</b>: {esc(_("no sub-task yet"))}</li>')
        body = "".join(rows) or f'<li class="wb-empty">{esc(_("nobody yet"))}</li>'
        return (f'<div class="wb-subtasks"><div class="wb-subtasks-title">{esc(_("Sub-tasks"))}</div>'
                f'<ul>{body}</ul></div>')

    def on_changes(self, batch: ChangeBatch) -> None:
        self.names.on_changes(batch)  # reloads at most once per batch, even when shared
        stale = any(batch.touches(e, self.group.id) for e in BOARD_ENTITIES) or batch.touches("workshop")
        if self.room.on_changes(batch):  # re-reads the workshop once per batch for the page
            self.workshop = self.room.workshop
            mode = self.room.state.mode(self.canvas.key)
            if mode != self.mode:
                self._apply_mode(mode)
                stale = True
        if stale:
            self.refresh()
