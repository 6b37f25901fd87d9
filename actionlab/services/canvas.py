"""Canvas boards: cards in columns, per group, as defined in the method library.

Cards carry typed fields, a link to a parent card, and the group's decision; the rules for all
of them live here, driven by the column definitions in data/canvases/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ..errors import Conflict, InvalidInput, LibraryError, NotFound
from ..i18n import N_
from ..library import CanvasDef, ColumnDef, FieldDef, Library
from ..settings import Settings
from ..text import block_text, line_text
from .access import FACILITATOR, member_actor, stored_member
from .options import revealed
from .room import write_problem
from .roomstate import PRIVATE, room_state

if TYPE_CHECKING:
    from ..db.models import Card, Member, Workshop
    from ..store import Store

MAX_FIELD = 400


@dataclass(frozen=True)
class Author:
    """Who is writing: a member (their own group only) or the facilitator (any group)."""

    member: Member | None = None

    @property
    def actor(self) -> str:
        return member_actor(self.member.id) if self.member else FACILITATOR

    @property
    def member_id(self) -> int | None:
        return self.member.id if self.member else None

    @property
    def is_facilitator(self) -> bool:
        return self.member is None

    def may_edit_group(self, group_id: int) -> bool:
        return self.member is None or self.member.group_id == group_id

    def now(self, store: Store) -> Author:
        """This author as stored now. A page keeps the member it loaded, and its widgets still
        answer messages after the facilitator moved the person to another group, changed their
        role or took them off the list: the rules of a write go by the stored member."""
        return self if self.member is None else Author(stored_member(store, self.member.id))


FACILITATOR_AUTHOR = Author(None)


DELETED = N_("That card was deleted in the meantime.")


def existing_card(store: Store, card_id: int) -> Card:
    """The card, or the message a person sees when it was deleted while they looked at it."""
    try:
        return store.find_card(card_id)
    except NotFound:
        raise InvalidInput(DELETED) from None


def check_open(store: Store, author: Author, workshop_id: int, group_id: int, canvas: str,
               text: str | None = None) -> None:
    """Refuse a participant's write the room does not allow now (a locked or hidden step; a
    statement in question-first mode). Reads the room state fresh; the facilitator passes."""
    if author.is_facilitator:
        return
    state = room_state(store.find_workshop_by_id(workshop_id))
    problem = write_problem(state, facilitator=False, group_id=group_id, canvas=canvas, text=text)
    if problem:
        raise InvalidInput(problem)


@dataclass(frozen=True)
class OnBehalf:
    """What to tell people when a vote or a score is not theirs to give."""

    others: str  # a member tried to act for someone else
    whom: str  # the facilitator did not say for whom
    group: str  # the card belongs to another group


def acting_member(store: Store, author: Author, card: Card, for_member: int | None,
                  say: OnBehalf) -> int:
    """Whose vote or score this is: the member themself, or — entered by the facilitator for
    someone without a device — the member ``for_member`` of the card's group."""
    if for_member is not None and for_member != author.member_id:
        if not author.is_facilitator:
            raise InvalidInput(say.others)
        try:
            member = store.find_member(int(for_member))
        except (NotFound, TypeError, ValueError):
            raise InvalidInput(N_("Choose a member of the group.")) from None
    elif author.member is not None:
        member = stored_member(store, author.member.id)
    else:
        raise InvalidInput(say.whom)
    if member.group_id != card.group_id:
        raise InvalidInput(say.group)
    check_open(store, author, card.workshop_id, card.group_id, card.canvas)
    return member.id


@dataclass
class MapNode:
    """One card in a map drawn through card links (key problem → goals → strategies → actions)."""

    card: Card
    level: int
    children: list[MapNode]


class EditConflict(InvalidInput):
    """Someone else saved the card first; ``current`` is their version."""

    def __init__(self, current: Card):
        super().__init__(N_("Someone else changed this card while you were editing. Their version is shown; your text is still in the editor."))  # noqa: E501
        self.current = current


class CanvasService:
    def __init__(self, store: Store, library: Library, settings: Settings):
        self.store = store
        self.library = library
        self.settings = settings

    # -- definitions ---------------------------------------------------------------------
    def definition(self, key: str) -> CanvasDef:
        return self.library.canvas(key)

    def canvases_of(self, workshop: Workshop) -> list[CanvasDef]:
        return [self.library.canvas(k) for k in workshop.canvases]

    def column_of(self, card: Card) -> ColumnDef:
        return self.definition(card.canvas).column(card.column)

    # -- reading -------------------------------------------------------------------------
    def cards(self, workshop: Workshop, group_id: int | None = None,
              canvas: str | None = None) -> list[Card]:
        return self.store.find_cards(workshop.id, group_id=group_id, canvas=canvas)

    def visible(self, workshop: Workshop, cards: list[Card], viewer: Author | None) -> list[Card]:
        """The cards ``viewer`` may see: private columns show only one's own cards until the
        facilitator reveals them (``viewer`` None is the projector)."""
        out = []
        state = room_state(workshop)
        for card in cards:
            try:
                col = self.column_of(card)
            except LibraryError:
                continue
            private = state.mode(card.canvas) == PRIVATE
            if private or (col.private and not revealed(workshop, card.canvas, card.column)):
                if viewer is None or viewer.is_facilitator or card.author_id != viewer.member_id:
                    continue
            out.append(card)
        return out

    def parent_targets(self, canvas: str, column: ColumnDef) -> set[tuple[str, str]]:
        """(canvas, column) pairs whose cards a card of ``column`` may link to: the column
        named in ``link_to``, and columns whose "why?" answers land in it (a cause's cause)."""
        targets = set()
        if column.link_to:
            target, target_col = self.library.column(column.link_to, canvas)
            targets.add((target.key, target_col.key))
        return targets | {(canvas, c.key) for c in self.definition(canvas).columns
                          if c.why == column.key}

    def parent_choices(self, workshop: Workshop, group_id: int, canvas: str,
                       column: ColumnDef) -> list[Card]:
        """Cards (same group) a card of ``column`` may link to."""
        targets = self.parent_targets(canvas, column)
        if not targets:
            return []
        only = canvas if {t[0] for t in targets} == {canvas} else None
        cards = self.store.find_cards(workshop.id, group_id=group_id, canvas=only)
        return [c for c in cards if (c.canvas, c.column) in targets]

    def map_tree(self, workshop: Workshop, group_id: int, levels: tuple[str, ...]) -> list[MapNode]:
        """The map of a group through card links: the top level's cards (only the decided ones
        when the group has decided), each with the cards of the next level that link to it."""
        cards = self.store.find_cards(workshop.id, group_id=group_id)
        per_level: list[list[Card]] = []
        for ref in levels:
            canvas, column = self.library.column(ref)
            per_level.append([c for c in cards if c.canvas == canvas.key and c.column == column.key])
        if not per_level:
            return []

        def grow(card: Card, level: int) -> MapNode:
            below = per_level[level + 1] if level + 1 < len(per_level) else []
            return MapNode(card, level, [grow(c, level + 1) for c in below if c.parent_id == card.id])

        top = [c for c in per_level[0] if c.decided] or per_level[0]
        return [grow(c, 0) for c in top]

    @staticmethod
    def missing_fields(card: Card, column: ColumnDef) -> list[FieldDef]:
        """Required fields left empty: the card is marked incomplete."""
        values = card.fields or {}
        return [f for f in column.fields if f.required and values.get(f.key) in (None, "")]

    def count_warning(self, cards: list[Card], column: ColumnDef) -> tuple[int, int] | None:
        """``(low, high)`` when the column expects that many cards and has another number."""
        if column.count is None:
            return None
        n = sum(1 for c in cards if c.column == column.key)
        low, high = column.count
        return None if low <= n <= high else column.count

    # -- checks --------------------------------------------------------------------------
    def _text(self, text: str | None) -> str:
        text = block_text(text)
        if not text:
            raise InvalidInput(N_("Write something on the card first."))
        limit = self.settings.max_card_length
        if len(text) > limit:
            raise InvalidInput(N_("A card holds at most {n} characters."), n=limit)
        return text

    def _check_group(self, author: Author, group_id: int) -> None:
        if not author.now(self.store).may_edit_group(group_id):
            raise InvalidInput(N_("You can only change your own group's canvas."))

    def check_open(self, author: Author, workshop_id: int, group_id: int, canvas: str,
                   text: str | None = None) -> None:
        check_open(self.store, author, workshop_id, group_id, canvas, text)

    def _fields(self, column: ColumnDef, values: dict | None, group_id: int) -> dict:
        out: dict = {}
        for key, value in (values or {}).items():
            try:
                field = column.field(key)
            except LibraryError:
                raise InvalidInput(N_("This card has no field {name}."), name=key) from None
            if value in (None, ""):
                continue
            out[key] = self._field_value(field, value, group_id)
        return out

    def _field_value(self, field: FieldDef, value, group_id: int):
        if field.type == "choice":
            if value not in {o.key for o in field.options}:
                raise InvalidInput(N_("Choose one of the offered values."))
            return value
        if field.type == "date":
            try:
                return date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise InvalidInput(N_("Write the date as YYYY-MM-DD.")) from None
        if field.type == "member":
            try:
                member = self.store.find_member(int(value))
            except (NotFound, TypeError, ValueError):
                raise InvalidInput(N_("Choose a member of the group.")) from None
            if member.group_id != group_id:
                raise InvalidInput(N_("Choose a member of the group."))
            return member.id
        text = block_text(value) if "\n" in str(value) else line_text(value)
        if len(text) > MAX_FIELD:
            raise InvalidInput(N_("A field holds at most {n} characters."), n=MAX_FIELD)
        return text

    def _parent(self, workshop: Workshop, group_id: int, canvas: str, column: ColumnDef,
                parent_id: int | None) -> int | None:
        if parent_id in (None, ""):
            return None
        allowed = {c.id for c in self.parent_choices(workshop, group_id, canvas, column)}
        if int(parent_id) not in allowed:
            raise InvalidInput(N_("That card cannot be linked here."))
        return int(parent_id)

    # -- writing -------------------------------------------------------------------------
    def add_card(self, author: Author, workshop: Workshop, group_id: int, canvas: str,
                 column: str, text: str, *, fields: dict | None = None,
                 parent_id: int | None = None) -> Card:
        definition = self.definition(canvas)
        if canvas not in workshop.canvases:
            raise InvalidInput(N_("This canvas is not part of the workshop."))
        if column not in definition.column_keys:
            raise InvalidInput(N_("This canvas has no such column."))
        if group_id not in {g.id for g in self.store.find_groups(workshop.id)}:
            raise InvalidInput(N_("Choose your group."))
        self._check_group(author, group_id)
        self.check_open(author, workshop.id, group_id, canvas, text)
        col = definition.column(column)
        return self.store.add_card(
            author.actor, workshop_id=workshop.id, group_id=group_id, canvas=canvas,
            column=column, text=self._text(text), author_id=author.member_id,
            fields=self._fields(col, fields, group_id),
            parent_id=self._parent(workshop, group_id, canvas, col, parent_id))

    def edit_card(self, author: Author, card_id: int, text: str, *, fields: dict | None = None,
                  parent_id: int | None = ..., base: Card | None = None) -> Card:
        """Save an edit. ``base`` is the version the editor started from: if someone else
        saved in between, nothing is overwritten and :class:`EditConflict` says so."""
        card = self._card(card_id)
        self._check_group(author, card.group_id)
        self.check_open(author, card.workshop_id, card.group_id, card.canvas,
                        text if (text or "").strip() != card.text else None)
        col = self.column_of(card)
        changes: dict = {"text": self._text(text)}
        if fields is not None:
            changes["fields"] = self._fields(col, fields, card.group_id)
        if parent_id is not ...:
            workshop = self.store.find_workshop_by_id(card.workshop_id)
            changes["parent_id"] = self._parent(workshop, card.group_id, card.canvas, col,
                                                parent_id)
        try:
            return self.store.update_card(
                author.actor, card_id,
                expect_updated_at=base.updated_at if base is not None else None, **changes)
        except Conflict:
            raise EditConflict(self._card(card_id)) from None
        except NotFound:  # deleted after the checks above
            raise InvalidInput(DELETED) from None

    def delete_card(self, author: Author, card_id: int) -> None:
        card = self._card(card_id)
        self._check_group(author, card.group_id)
        self.check_open(author, card.workshop_id, card.group_id, card.canvas)
        try:
            self.store.remove_card(author.actor, card_id)
        except NotFound:  # someone else deleted it a moment earlier
            raise InvalidInput(DELETED) from None

    def ask_why(self, author: Author, card_id: int, text: str) -> Card:
        """Answer "why?" about a card: the answer is a card in the column the definition
        names, linked to the card asked about."""
        card = self._card(card_id)
        col = self.column_of(card)
        if not col.why:
            raise InvalidInput(N_("This column has no why question."))
        workshop = self.store.find_workshop_by_id(card.workshop_id)
        self._check_group(author, card.group_id)
        self.check_open(author, workshop.id, card.group_id, card.canvas, text)
        return self.store.add_card(
            author.actor, workshop_id=workshop.id, group_id=card.group_id, canvas=card.canvas,
            column=col.why, text=self._text(text), author_id=author.member_id, parent_id=card.id)

    def may_decide(self, author: Author) -> bool:
        if author.is_facilitator:
            return True
        try:
            role = self.library.item("roles", author.now(self.store).member.role)
        except LibraryError:
            return False
        return "decide" in role.may

    def decide(self, author: Author, card_id: int, decided: bool = True) -> Card:
        """Mark a card as the group's decision (or take the mark back)."""
        card = self._card(card_id)
        self._check_group(author, card.group_id)
        self.check_open(author, card.workshop_id, card.group_id, card.canvas)
        if self.column_of(card).decide is None:
            raise InvalidInput(N_("Cards in this column are not decided on."))
        if not self.may_decide(author):
            raise InvalidInput(N_("Only the group leader or the facilitator records the group's decision."))
        return self.store.update_card(author.actor, card_id, decided=bool(decided))

    def reveal(self, workshop: Workshop, canvas: str, column: str, shown: bool = True) -> Workshop:
        """Show (or hide again) a private column's cards to everyone: the facilitator's reveal."""
        if not self.definition(canvas).column(column).private:
            raise InvalidInput(N_("This column is not written privately."))
        current = list(((workshop.options or {}).get("reveal") or {}).get(canvas) or [])
        wanted = sorted(set(current) | {column}) if shown else [c for c in current if c != column]
        return self.store.update_workshop_options(FACILITATOR, workshop.id, ("reveal", canvas),
                                                  wanted)

    def _card(self, card_id: int) -> Card:
        return existing_card(self.store, card_id)
