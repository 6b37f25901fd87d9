"""Canvas boards: cards in columns, per group, as defined in the method library."""

from __future__ import annotations

from dataclasses import dataclass

from ..db.models import Card, Member, Workshop
from ..errors import InvalidInput, NotFound
from ..i18n import N_
from ..library import CanvasDef, Library
from ..settings import Settings
from ..store import Store
from .access import FACILITATOR, member_actor


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

    def may_edit_group(self, group_id: int) -> bool:
        return self.member is None or self.member.group_id == group_id


FACILITATOR_AUTHOR = Author(None)


class CanvasService:
    def __init__(self, store: Store, library: Library, settings: Settings):
        self.store = store
        self.library = library
        self.settings = settings

    def definition(self, key: str) -> CanvasDef:
        return self.library.canvas(key)

    def canvases_of(self, workshop: Workshop) -> list[CanvasDef]:
        return [self.library.canvas(k) for k in workshop.canvases]

    def cards(self, workshop: Workshop, group_id: int | None = None,
              canvas: str | None = None) -> list[Card]:
        return self.store.find_cards(workshop.id, group_id=group_id, canvas=canvas)

    def _text(self, text: str | None) -> str:
        text = (text or "").strip()
        if not text:
            raise InvalidInput(N_("Write something on the card first."))
        limit = self.settings.max_card_length
        if len(text) > limit:
            raise InvalidInput(N_("A card holds at most {n} characters."), n=limit)
        return text

    def _check_group(self, author: Author, group_id: int) -> None:
        if not author.may_edit_group(group_id):
            raise InvalidInput(N_("You can only change your own group's canvas."))

    def add_card(self, author: Author, workshop: Workshop, group_id: int, canvas: str,
                 column: str, text: str) -> Card:
        definition = self.definition(canvas)
        if canvas not in workshop.canvases:
            raise InvalidInput(N_("This canvas is not part of the workshop."))
        if column not in definition.column_keys:
            raise InvalidInput(N_("This canvas has no such column."))
        if group_id not in {g.id for g in self.store.find_groups(workshop.id)}:
            raise InvalidInput(N_("Choose your group."))
        self._check_group(author, group_id)
        return self.store.add_card(author.actor, workshop_id=workshop.id, group_id=group_id,
                                   canvas=canvas, column=column, text=self._text(text),
                                   author_id=author.member_id)

    def edit_card(self, author: Author, card_id: int, text: str) -> Card:
        card = self._card(card_id)
        self._check_group(author, card.group_id)
        return self.store.update_card(author.actor, card_id, text=self._text(text))

    def delete_card(self, author: Author, card_id: int) -> None:
        card = self._card(card_id)
        self._check_group(author, card.group_id)
        self.store.remove_card(author.actor, card_id)

    def _card(self, card_id: int) -> Card:
        try:
            return self.store.find_card(card_id)
        except NotFound:
            raise InvalidInput(N_("That card was deleted in the meantime.")) from None
