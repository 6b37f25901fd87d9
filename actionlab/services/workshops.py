"""Workshops, groups and members: creating a workshop, joining it, coming back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import AccessDenied, Conflict, InvalidInput, NotFound
from ..i18n import LANGS, N_, translator
from ..library import Library
from ..settings import Settings
from ..text import line_text
from .access import FACILITATOR, hash_secret, new_join_code, new_secret, normalize_code
from .roomstate import room_state

if TYPE_CHECKING:
    from ..db.models import Group, Member, Workshop
    from ..store import Store

MAX_GROUPS = 5
MAX_TITLE = 120
MAX_NAME = 40
DEFAULT_CANVASES = ("restructure",)


@dataclass(frozen=True)
class Joined:
    member: Member
    token: str  # the participant's secret; their personal link carries it


@dataclass(frozen=True)
class GroupRoster:
    group: Group
    members: list[Member]


def _clean(text: str | None) -> str:
    return line_text(text)


class WorkshopService:
    def __init__(self, store: Store, library: Library, settings: Settings):
        self.store = store
        self.library = library
        self.settings = settings

    def create(self, title: str, lang: str, group_count: int, *, canvases=DEFAULT_CANVASES,
               actor: str = FACILITATOR, is_demo: bool = False,
               group_names: list[str] | None = None) -> Workshop:
        title = _clean(title)
        if not title:
            raise InvalidInput(N_("Give the workshop a title."))
        if len(title) > MAX_TITLE:
            raise InvalidInput(N_("The title is too long (at most {n} characters)."), n=MAX_TITLE)
        if lang not in LANGS:
            raise InvalidInput(N_("Choose Chinese or English."))
        try:
            group_count = int(group_count)
        except (TypeError, ValueError):
            group_count = 0
        if not 1 <= group_count <= MAX_GROUPS:
            raise InvalidInput(N_("A workshop has 1 to {n} groups."), n=MAX_GROUPS)
        canvases = list(dict.fromkeys(canvases))  # keep the facilitator's order, once each
        if not canvases:
            raise InvalidInput(N_("Choose at least one canvas."))
        for key in canvases:
            self.library.canvas(key)  # raises LibraryError for an unknown canvas
        _ = translator(lang)
        names = [_("Group {n}", n=i) for i in range(1, group_count + 1)]
        for i, given in enumerate((group_names or [])[:group_count]):
            names[i] = _clean(given)[:80] or names[i]
        for _attempt in range(20):
            try:
                return self.store.add_workshop(actor, code=new_join_code(), title=title, lang=lang,
                                               group_names=names, canvases=list(canvases),
                                               is_demo=is_demo)
            except Conflict:
                continue  # the random code was taken: draw another
        raise Conflict("could not find a free join code")

    def get(self, code: str) -> Workshop:
        return self.store.find_workshop(normalize_code(code))

    def find(self, code: str | None) -> Workshop | None:
        """The workshop with this join code, or None (for pages that ask politely)."""
        try:
            return self.get(code or "")
        except NotFound:
            return None

    def all(self) -> list[Workshop]:
        return self.store.find_workshops()

    def groups(self, workshop: Workshop) -> list[Group]:
        return self.store.find_groups(workshop.id)

    def members(self, workshop: Workshop) -> list[Member]:
        return self.store.find_members(workshop.id)

    def roster(self, workshop: Workshop) -> list[GroupRoster]:
        members = self.store.find_members(workshop.id)
        return [
            GroupRoster(group, [m for m in members if m.group_id == group.id])
            for group in self.store.find_groups(workshop.id)
        ]

    def join(self, code: str, group_id: int, name: str) -> Joined:
        workshop = self.find(code)
        if workshop is None:
            raise InvalidInput(N_("No workshop has the code {code}. Check it with your facilitator."),
                               code=normalize_code(code))
        if room_state(workshop).entry_locked:
            raise InvalidInput(N_("The facilitator has closed entry to this workshop. Ask them to let you in."))
        name = _clean(name)
        if not name:
            raise InvalidInput(N_("Type your name."))
        if len(name) > MAX_NAME:
            raise InvalidInput(N_("The name is too long (at most {n} characters)."), n=MAX_NAME)
        group_ids = {g.id for g in self.store.find_groups(workshop.id)}
        if group_id not in group_ids:
            raise InvalidInput(N_("Choose your group."))
        same_name = [m for m in self.store.find_members(workshop.id)
                     if m.group_id == group_id and m.name.casefold() == name.casefold()]
        on_roster = [m for m in same_name if m.token_hash is None]
        if on_roster:  # imported from the roster, no device yet: this person claims the entry
            token = new_secret()
            member = self.store.update_member("participant", on_roster[0].id,
                                              token_hash=hash_secret(token))
            return Joined(member, token)
        if same_name:
            raise InvalidInput(N_("Someone in this group already uses the name {name}. Add an initial."),
                               name=name)
        token = new_secret()
        member = self.store.add_member("participant", workshop_id=workshop.id,
                                       group_id=group_id, name=name, token_hash=hash_secret(token))
        return Joined(member, token)

    def resume(self, code: str, token: str) -> Member:
        """The member whose personal link carries ``token`` in workshop ``code``."""
        workshop = self.find(code)
        if workshop is None or not token:
            raise AccessDenied("unknown participant link")
        try:
            member = self.store.find_member_by_token_hash(hash_secret(token))
        except NotFound:
            raise AccessDenied("unknown participant link") from None
        if member.workshop_id != workshop.id:
            raise AccessDenied("unknown participant link")
        return member
